from typing import Any

from django.http import HttpRequest, HttpResponse

from medallion.decorators import page, page_action
from medallion.errors import ApiError
from medallion.http import username
from medallion.rendering import render_page
from medallion.warehouse import WarehouseError
from tpa import conversions, services
from tpa.forms import ConversionsForm, DeleteForm, TpaChangesForm, TpaForm


@page("admin")
async def manage_tpas(request: HttpRequest) -> HttpResponse:
    settings_by_tpa = await conversions.every_tpa_conversions()
    tpas = []
    for tpa in await services.list_tpas():
        settings = settings_by_tpa.get(tpa["TPA_CODE"], conversions.Conversions())
        tpas.append(
            {
                **tpa,
                "conversions": settings,
                "form": TpaChangesForm(
                    initial={"tpa_name": tpa["TPA_NAME"], "tpa_description": tpa["TPA_DESCRIPTION"]}
                ),
                "conversions_form": ConversionsForm(initial=vars(settings)),
            }
        )
    return await render_page(request, "tpa/manage.html", {"all_tpas": tpas, "form": TpaForm()})


@page_action("admin", back="tpa-manage")
async def create_tpa(request: HttpRequest) -> str:
    tpa = TpaForm.parse(request.POST, posted=True)
    code = await services.create_tpa(tpa["tpa_code"], tpa["tpa_name"], tpa["tpa_description"], user=username(request))
    return f"TPA {code} created."


@page_action("admin", back="tpa-manage")
async def update_tpa(request: HttpRequest, tpa_code: str) -> str:
    changes = TpaChangesForm.parse(request.POST, partial=True)
    updated = await services.update_tpa(tpa_code, changes, user=username(request))  # type: ignore[arg-type]
    return f"TPA {updated['TPA_CODE']} updated."


@page_action("admin", back="tpa-manage")
async def set_conversions(request: HttpRequest, tpa_code: str) -> str:
    settings = conversions.Conversions(**ConversionsForm.parse(request.POST, posted=True))
    await conversions.set_conversions(tpa_code, settings, user=username(request))
    return f"Conversion settings of {tpa_code.upper()} saved; the next transform uses them."


@page_action("admin", back="tpa-manage")
async def activate_tpa(request: HttpRequest, tpa_code: str) -> str:
    updated = await services.update_tpa(tpa_code, {"active": True}, user=username(request))
    return f"TPA {updated['TPA_CODE']} activated."


@page_action("admin", back="tpa-manage")
async def deactivate_tpa(request: HttpRequest, tpa_code: str) -> str:
    updated = await services.update_tpa(tpa_code, {"active": False}, user=username(request))
    return f"TPA {updated['TPA_CODE']} deactivated."


@page_action("admin", back="tpa-manage")
async def delete_tpa(request: HttpRequest, tpa_code: str) -> str:
    if DeleteForm.parse(request.POST)["confirm"].upper() != tpa_code.upper():
        raise ApiError(422, "validation_error", "Type the TPA code to confirm the deletion.")
    dropped = await services.delete_tpa(tpa_code, user=username(request))
    return f"TPA {tpa_code.upper()} and all its data deleted ({dropped} tables dropped)."


async def tpa_selector() -> dict[str, Any]:
    """The global TPA selector in every page's header."""
    try:
        return {"tpas": await services.list_tpas()}
    except WarehouseError:
        return {"tpas": []}
