from typing import Any

from django.http import HttpRequest, HttpResponse

from gold import forms, lineage, metrics, reconciliation, refresh, rules, services
from medallion.decorators import api
from medallion.errors import validation_error
from medallion.http import created, json_object, username
from medallion.paging import window
from tpa.forms import tpa_param
from tpa.services import get_tpa


async def _refresh_scope(code: str | None) -> str | None:
    if code is None or code.upper() == rules.ALL_TPAS:
        return None
    return (await get_tpa(code))["TPA_CODE"]


@api("viewer")
async def analytics_rows(request: HttpRequest, table_name: str) -> list[dict[str, Any]]:
    table = services.analytics_table(table_name)
    rows = window(request, 100, 1000)
    return await services.analytics_rows(table, _tpa(request), rows.limit, rows.offset)


@api("viewer")
async def analytics_stats(request: HttpRequest, table_name: str) -> dict[str, Any]:
    table = services.analytics_table(table_name)
    return await services.analytics_stats(table, _tpa(request))


@api("viewer")
async def business_metrics(request: HttpRequest) -> list[dict[str, Any]]:
    return await metrics.list_metrics(_tpa(request))


@api("viewer")
async def quality_results(request: HttpRequest) -> list[dict[str, Any]]:
    rows = window(request, 100, 1000)
    return await services.quality_results(_tpa(request), rows.limit, rows.offset)


@api("viewer")
async def quality_stats(request: HttpRequest) -> dict[str, Any]:
    return await services.quality_stats(_tpa(request))


def rule_list(kind: str) -> Any:
    @api("viewer")
    async def view(request: HttpRequest) -> list[dict[str, Any]]:
        return await rules.list_rules(kind, _tpa(request))

    return view


def rule_create(kind: str) -> Any:
    @api("operator")
    async def view(request: HttpRequest) -> HttpResponse:
        values = forms.rule_columns(kind, json_object(request))
        return created(await rules.create_rule(kind, values, user=username(request)))

    return view


def rule_update(kind: str) -> Any:
    @api("operator")
    async def view(request: HttpRequest, rule_id: int) -> dict[str, Any]:
        changed = {**await rules.stored_definition(kind, rule_id), **json_object(request)}
        return await rules.update_rule(kind, rule_id, forms.rule_columns(kind, changed), user=username(request))

    return view


def rule_status(kind: str) -> Any:
    @api("operator")
    async def view(request: HttpRequest, rule_id: int) -> dict[str, Any]:
        active = forms.RuleStatusForm.parse(json_object(request))["is_active"]
        await rules.set_rule_active(kind, rule_id, active, user=username(request))
        verb = "activated" if active else "deactivated"
        return {"message": f"Rule {verb} successfully", "rule_id": rule_id, "is_active": active}

    return view


@api("operator")
async def run_refresh(request: HttpRequest) -> dict[str, Any]:
    scope = forms.ScopeForm.parse(json_object(request))
    run = await refresh.refresh(await _refresh_scope(scope["tpa"]), full=bool(scope["full"]), user=username(request))
    return {"message": f"Gold refresh {run['STATUS'].lower()}", **{key.lower(): value for key, value in run.items()}}


@api("viewer")
async def refresh_runs(request: HttpRequest) -> list[dict[str, Any]]:
    rows = window(request, 20, 200)
    return await services.refresh_runs(request.GET.get("tpa") or rules.ALL_TPAS, rows.limit)


@api("operator")
async def run_quality(request: HttpRequest) -> dict[str, Any]:
    scope = forms.ScopeForm.parse(json_object(request))
    summary = await refresh.check_quality(await _refresh_scope(scope["tpa"]), user=username(request))
    return {
        "message": f"Ran {summary.checks} quality checks",
        "run_id": summary.run_id,
        "checks": summary.checks,
        "failures": summary.failures,
        "warnings": summary.warnings,
    }


def _tpa(request: HttpRequest) -> str:
    return tpa_param(request.GET).upper()


MAX_VERDICT_FILES = 200


@api("viewer")
async def file_reconciliation(request: HttpRequest, queue_id: int) -> dict[str, Any]:
    return await reconciliation.file_reconciliation(queue_id)


@api("viewer")
async def file_verdicts(request: HttpRequest) -> dict[str, dict[str, Any]]:
    ids = [part for part in (request.GET.get("ids") or "").split(",") if part.strip()]
    if len(ids) > MAX_VERDICT_FILES or not all(part.strip().isdigit() for part in ids):
        raise validation_error("ids", f"Give up to {MAX_VERDICT_FILES} queue ids separated by commas.")
    return await reconciliation.verdicts([int(part) for part in ids])


@api("viewer")
async def monthly_reconciliation(request: HttpRequest) -> dict[str, Any]:
    month = reconciliation.month_of(request.GET.get("month"))
    return await reconciliation.monthly_report(tpa_param(request.GET), month)


@api("viewer")
async def cell_lineage(request: HttpRequest) -> dict[str, Any]:
    cell = forms.lineage_cell(request.GET)
    return await lineage.cell_sources(cell.tpa, cell.year, cell.month, cell.claim_type)
