from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from medallion.decorators import page
from medallion.errors import ApiError
from medallion.rendering import render_page
from medallion.warehouse import WarehouseError
from tpa import services


@page("admin")
async def manage_tpas(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        user = request.user.get_username()
        action = request.POST.get("action")
        code = request.POST.get("tpa_code", "")
        try:
            if action == "create":
                code = await services.create_tpa(
                    code, request.POST.get("tpa_name"), request.POST.get("tpa_description"), user=user
                )
                messages.success(request, f"TPA {code} created.")
            elif action == "update":
                await services.update_tpa(
                    code,
                    {
                        "tpa_name": request.POST.get("tpa_name"),
                        "tpa_description": request.POST.get("tpa_description", ""),
                    },
                    user=user,
                )
                messages.success(request, f"TPA {code} updated.")
            elif action in {"activate", "deactivate"}:
                await services.update_tpa(code, {"active": action == "activate"}, user=user)
                messages.success(request, f"TPA {code} {action}d.")
            elif action == "delete":
                if request.POST.get("confirm", "").upper() != code.upper():
                    raise ApiError(422, "validation_error", "Type the TPA code to confirm the deletion.")
                dropped = await services.delete_tpa(code, user=user)
                messages.success(request, f"TPA {code.upper()} and all its data deleted ({dropped} tables dropped).")
        except ApiError as error:
            messages.error(request, error.detail)
        return HttpResponseRedirect(reverse("tpa-manage"))
    return await render_page(request, "tpa/manage.html", {"all_tpas": await services.list_tpas()})


async def tpa_selector() -> dict[str, Any]:
    """The global TPA selector in every page's header."""
    try:
        return {"tpas": await services.list_tpas()}
    except WarehouseError:
        return {"tpas": []}
