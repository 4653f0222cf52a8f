from typing import Any

from django.http import HttpRequest

from medallion.api import api, json_object, text
from silver.x12_mapping import apply_837_mapping


@api("operator")
async def builtin_837_mapping(request: HttpRequest) -> dict[str, Any]:
    tpa = str(text(json_object(request), "tpa", required=True, max_length=100))
    return await apply_837_mapping(tpa, user=request.user.get_username())
