import hmac
from dataclasses import replace
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.safestring import mark_safe

from medallion import caching, charts
from medallion.access import resolve_access
from medallion.decorators import page, page_action
from medallion.errors import ApiError
from medallion.http import username
from medallion.paging import pager
from medallion.rendering import render_page
from medallion.roles import has_role
from ops import alerts, cadence, clear_data, logs, metrics, overview, scheduler, schema_check, tasks
from ops.forms import ExpectationForm, ExpectationKeyForm, ResolutionForm, SubscriptionForm, log_query

TASK_TABS = ("BRONZE", "SILVER", "GOLD", "OPS")
LOG_TABS = {
    "application": (
        "Application",
        ("LOG_TIMESTAMP", "LOG_LEVEL", "LOG_SOURCE", "LOG_MESSAGE", "USER_NAME", "TPA_CODE"),
    ),
    "api-requests": (
        "API requests",
        (
            "REQUEST_TIMESTAMP",
            "REQUEST_METHOD",
            "REQUEST_PATH",
            "RESPONSE_STATUS",
            "RESPONSE_TIME_MS",
            "USER_NAME",
            "CLIENT_IP",
        ),
    ),
    "file-processing": (
        "File processing",
        ("STAGE_END", "FILE_NAME", "TPA_CODE", "PROCESSING_STAGE", "STAGE_STATUS", "ROWS_PROCESSED", "ERROR_MESSAGE"),
    ),
    "errors": (
        "Errors",
        (
            "ERROR_TIMESTAMP",
            "ERROR_SOURCE",
            "ERROR_TYPE",
            "ERROR_MESSAGE",
            "TPA_CODE",
            "RESOLUTION_STATUS",
            "STATUS_CHANGED_BY",
        ),
    ),
    "tasks": (
        "Task runs",
        (
            "EXECUTION_START",
            "TASK_NAME",
            "EXECUTION_STATUS",
            "EXECUTION_DURATION_MS",
            "RECORDS_PROCESSED",
            "RECORDS_FAILED",
            "TRIGGERED_BY",
            "ERROR_MESSAGE",
        ),
    ),
}
AUDIT_COLUMNS = ("AUDIT_TIMESTAMP", "USER_NAME", "ACTION", "ENTITY_TYPE", "ENTITY_ID", "TPA_CODE")


@page_action("admin", back="ops-tasks")
async def resume_task(request: HttpRequest, task_name: str) -> str:
    return f"Task {await tasks.resume_task(None, task_name, user=username(request))} resumed."


@page_action("admin", back="ops-tasks")
async def suspend_task(request: HttpRequest, task_name: str) -> str:
    return f"Task {await tasks.suspend_task(None, task_name, user=username(request))} suspended."


@page_action("admin", back="ops-tasks")
async def change_schedule(request: HttpRequest, task_name: str) -> str:
    schedule_text = request.POST.get("schedule", "")
    task, schedule = await tasks.change_schedule(None, task_name, schedule_text, user=username(request))
    return f"Task {task} now runs on schedule {schedule}."


@page_action("admin", back="ops-tasks")
async def run_task(request: HttpRequest, task_name: str) -> str:
    await scheduler.start_now(None, task_name, user=username(request))
    return f"Task {task_name.upper()} started; its run appears in the history below."


@page("admin")
async def tasks_page(request: HttpRequest) -> HttpResponse:
    layer = request.GET.get("layer", "BRONZE").upper()
    layer = layer if layer in TASK_TABS else "BRONZE"
    selected = (request.GET.get("task") or "").upper()
    layer_tasks = await tasks.list_tasks(layer)
    history_filter = {"task_name": selected} if selected else {}
    history = await logs.fetch_log(logs.LogQuery("tasks", history_filter, 30, 25, 0))
    names = {task["name"] for task in layer_tasks}
    return await render_page(
        request,
        "ops/tasks.html",
        {
            "layers": TASK_TABS,
            "layer": layer,
            "layer_tasks": layer_tasks,
            "selected": selected,
            "history": [run for run in history if selected or run["TASK_NAME"] in names],
        },
    )


def _cell(value: Any) -> Any:
    return value.strftime("%Y-%m-%d %H:%M:%S") if isinstance(value, datetime) else value


def _label(column: str) -> str:
    return column.replace("_", " ").lower()


async def _log_context(request: HttpRequest, log: str, columns: tuple[str, ...]) -> dict[str, Any]:
    window = pager(request)
    try:
        query = replace(log_query(log, request.GET), limit=window.limit, offset=window.offset)
        problem = None
    except ApiError as error:
        query, problem = logs.LogQuery(log, {}, 7, window.limit, window.offset), error.detail
    rows = await logs.fetch_log(query)
    spec = logs.LOGS[log]
    return {
        "pager": window.of(await logs.count_log(query)),
        "problem": problem,
        "query": query,
        "headers": [_label(column) for column in columns],
        "rows": [
            {
                "id": row[spec.key],
                "cells": [_cell(row.get(column)) for column in columns],
                "raw": row,
            }
            for row in rows
        ],
        "filters": [
            {
                "name": f.param,
                "label": _label(f.param),
                "choices": f.choices,
                "value": query.filters.get(f.param, ""),
                "numeric": f.match == "at_least",
            }
            for f in spec.filters
        ],
        "max_days": spec.max_days,
    }


@page("admin")
async def logs_page(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            error_id = int(request.POST.get("error_id", ""))
            resolution = ResolutionForm.parse(request.POST)
            updated = await logs.update_error_resolution(error_id, **resolution, user=username(request))
            messages.success(request, f"Error {error_id} is now {updated['resolution_status']}.")
        except ValueError:
            messages.error(request, "Choose an error to update.")
        except ApiError as error:
            messages.error(request, error.detail)
        return HttpResponseRedirect(request.get_full_path())
    tab = request.GET.get("tab", "application")
    tab = tab if tab in LOG_TABS else "application"
    title, columns = LOG_TABS[tab]
    context = await _log_context(request, tab, columns)
    return await render_page(
        request,
        "ops/logs.html",
        {
            **context,
            "tabs": [(key, label) for key, (label, _) in LOG_TABS.items()],
            "tab": tab,
            "title": title,
            "resolution_statuses": logs.RESOLUTION_STATUSES,
        },
    )


@page("admin")
async def audit_page(request: HttpRequest) -> HttpResponse:
    return await render_page(request, "ops/audit.html", await _log_context(request, "audit", AUDIT_COLUMNS))


def _system_charts(snapshot: metrics.Snapshot) -> list[str]:
    by_route: dict[str, int] = {}
    for (_method, route, _status), count in metrics.requests.counts.items():
        by_route[route] = by_route.get(route, 0) + count
    busiest = sorted(by_route.items(), key=lambda item: item[1], reverse=True)[:10]
    runs_by_status: dict[str, int] = {}
    for (_task, status), count in snapshot.task_runs_24h.items():
        runs_by_status[status] = runs_by_status.get(status, 0) + count
    return [
        mark_safe(
            charts.bar_chart(busiest, title="Requests by route (this process)", value_format=charts.format_count)
        ),
        mark_safe(
            charts.bar_chart(
                sorted(snapshot.queue_depth.items()), title="Bronze queue by status", value_format=charts.format_count
            )
        ),
        mark_safe(
            charts.donut_chart(
                sorted(runs_by_status.items()), title="Task runs, last 24 hours", value_format=charts.format_count
            )
        ),
    ]


@page("admin")
async def system_page(request: HttpRequest) -> HttpResponse:
    snapshot = await metrics.collect()
    routes = [
        {
            "route": route,
            "count": latency.count,
            "mean_ms": latency.total_seconds / latency.count * 1000 if latency.count else 0,
        }
        for route, latency in sorted(metrics.requests.latency.items())
    ]
    return await render_page(
        request,
        "ops/system.html",
        {
            "snapshot": snapshot,
            "routes": routes,
            "query_latency_ms": {f"p{round(q * 100)}": s * 1000 for q, s in snapshot.query_latency.items()},
            "cache": sorted(caching.namespaces.values(), key=lambda stats: stats.name),
            "task_runs": sorted(snapshot.task_runs_24h.items()),
            "buffers": metrics.log_buffers(),
            "charts": _system_charts(snapshot),
        },
    )


@page("admin")
async def schema_page(request: HttpRequest) -> HttpResponse:
    report = await schema_check.validate_schema()
    groups = [(layer, report[layer]) for layer in (*schema_check.LAYER_SCHEMAS, "procedures")]
    return await render_page(request, "ops/schema.html", {"report": report, "groups": groups})


@page("admin")
async def clear_data_page(request: HttpRequest) -> HttpResponse:
    return await render_page(request, "ops/clear_data.html", {"preview": await clear_data.clear_all_preview()})


PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


async def _may_read_metrics(request: HttpRequest) -> bool:
    token = getattr(settings, "METRICS_TOKEN", "")
    header = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(header.encode(), f"Bearer {token}".encode()):
        return True
    user = await request.auser()
    if not user.is_authenticated:
        return False
    await resolve_access(request, user)  # a TPA-scoped admin acts as an operator: the metrics span every TPA
    return has_role(request.role, "admin")


async def prometheus_metrics(request: HttpRequest) -> HttpResponse:
    if not await _may_read_metrics(request):
        user = await request.auser()
        if user.is_authenticated:
            return HttpResponse("Metrics are for administrators.\n", status=403, content_type="text/plain")
        response = HttpResponse("Authentication is required.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = "Bearer"
        return response
    return HttpResponse(metrics.render(await metrics.collect()), content_type=PROMETHEUS_CONTENT_TYPE)


@page("viewer")
async def home(request: HttpRequest) -> HttpResponse:
    return await render_page(
        request, "home.html", {"overview": await overview.overview()}, fragment="ops/_overview.html"
    )


@page("admin")
async def alerts_page(request: HttpRequest) -> HttpResponse:
    expectations, subscriptions, deliveries = (
        await cadence.expectation_status(),
        await alerts.list_subscriptions(),
        await alerts.list_deliveries(50),
    )
    return await render_page(
        request,
        "ops/alerts.html",
        {
            "expectations": expectations,
            "subscriptions": subscriptions,
            "deliveries": deliveries,
            "expectation_form": ExpectationForm(),
            "subscription_form": SubscriptionForm(),
            "mail_backend": alerts.mail_backend(),
        },
    )


@page_action("admin", back="ops-alerts")
async def save_expectation(request: HttpRequest) -> str:
    saved = await cadence.save_expectation(ExpectationForm(request.POST).expectation(), user=username(request))
    return f"{saved['tpa']} expects {saved['file_kind']} files {saved['description']}."


@page_action("admin", back="ops-alerts")
async def delete_expectation(request: HttpRequest) -> str:
    key = ExpectationKeyForm.parse(request.POST)
    await cadence.delete_expectation(key["tpa"], key["file_kind"], user=username(request))
    return "Expectation deleted."


@page_action("admin", back="ops-alerts")
async def create_subscription(request: HttpRequest) -> str:
    saved = await alerts.create_subscription(SubscriptionForm(request.POST).subscription(), user=username(request))
    return f"Alert subscription {saved['subscription_id']} created."


@page_action("admin", back="ops-alerts")
async def delete_subscription(request: HttpRequest, subscription_id: int) -> str:
    await alerts.delete_subscription(subscription_id, user=username(request))
    return "Alert subscription deleted."
