"""TPA file layouts over the JSON API: list, save (create or replace by name), delete."""

from typing import Any

from django.http import HttpRequest, HttpResponse

from bronze import layouts
from medallion.api import api, created, json_object, text


def _user(request: HttpRequest) -> str:
    return request.user.get_username()


@api("viewer")
async def list_layouts(request: HttpRequest) -> list[dict[str, Any]]:
    return await layouts.list_layouts(str(text(request.GET, "tpa", required=True, max_length=100)))


@api("operator")
async def save_layout(request: HttpRequest) -> HttpResponse:
    body = json_object(request)
    tpa = str(text(body, "tpa", required=True, max_length=100))
    return created(await layouts.save_layout(tpa, body, user=_user(request)))


@api("operator")
async def delete_layout(request: HttpRequest, layout_name: str) -> dict[str, Any]:
    tpa = str(text(request.GET, "tpa", required=True, max_length=100))
    await layouts.delete_layout(tpa, layout_name, user=_user(request))
    return {"message": f"Layout {layout_name} deleted", "layout_name": layout_name}
