from django.http import HttpRequest, HttpResponse

from medallion.decorators import api
from medallion.http import created, json_object
from tpa import services
from tpa.forms import ListFilterForm, StatusForm, TpaChangesForm, TpaForm


@api("viewer")
async def list_tpas(request: HttpRequest) -> list[dict[str, object]]:
    return await services.list_tpas(ListFilterForm.parse(request.GET)["active"])


@api("admin")
async def create_tpa(request: HttpRequest) -> HttpResponse:
    tpa = TpaForm.parse(json_object(request))
    code = await services.create_tpa(
        tpa["tpa_code"],
        tpa["tpa_name"],
        tpa["tpa_description"],
        tpa["active"] is not False,
        user=request.user.get_username(),
    )
    return created({"message": "TPA created successfully", "tpa_code": code})


@api("admin")
async def update_tpa(request: HttpRequest, tpa_code: str) -> dict[str, object]:
    changes = TpaChangesForm.parse(json_object(request), partial=True)
    updated = await services.update_tpa(tpa_code, changes, user=request.user.get_username())  # type: ignore[arg-type]
    return {
        "message": "TPA updated successfully",
        "tpa_code": updated["TPA_CODE"],
        "old_tpa_code": None,
        "tables_renamed": 0,
    }


@api("admin")
async def delete_tpa(request: HttpRequest, tpa_code: str) -> dict[str, object]:
    code = (await services.get_tpa(tpa_code))["TPA_CODE"]
    dropped = await services.delete_tpa(code, user=request.user.get_username())
    return {"message": "TPA and all related data deleted successfully", "tpa_code": code, "tables_dropped": dropped}


@api("admin")
async def set_tpa_status(request: HttpRequest, tpa_code: str) -> dict[str, object]:
    active = StatusForm.parse(json_object(request))["active"]
    updated = await services.update_tpa(tpa_code, {"active": active}, user=request.user.get_username())
    verb = "activated" if active else "deactivated"
    return {"message": f"TPA {verb} successfully", "tpa_code": updated["TPA_CODE"], "active": active}
