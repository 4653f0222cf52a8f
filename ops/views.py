import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from medallion.api import accepted, api, integer, json_object
from medallion.roles import has_role, role_of
from ops import logs, metrics, scheduler, schema_check, tasks

PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _user(request: HttpRequest) -> str:
    return request.user.get_username()


@api("viewer")
async def list_tasks(request: HttpRequest, layer: str | None) -> list[dict[str, object]]:
    return await tasks.list_tasks(layer)


@api("admin")
async def resume_task(request: HttpRequest, task_name: str, layer: str | None) -> dict[str, object]:
    name = await tasks.resume_task(layer, task_name, user=_user(request))
    return {"message": f"Task {name} resumed successfully"}


@api("admin")
async def suspend_task(request: HttpRequest, task_name: str, layer: str | None) -> dict[str, object]:
    name = await tasks.suspend_task(layer, task_name, user=_user(request))
    return {"message": f"Task {name} suspended successfully"}


@api("admin")
async def change_schedule(request: HttpRequest, task_name: str, layer: str | None) -> dict[str, object]:
    schedule = json_object(request).get("schedule")
    name, new_schedule = await tasks.change_schedule(layer, task_name, schedule, user=_user(request))
    return {"message": f"Task {name} schedule updated successfully", "new_schedule": new_schedule}


@api("admin")
async def run_task(request: HttpRequest, task_name: str) -> HttpResponse:
    name = tasks.find_definition(None, task_name).name
    await scheduler.start_now(None, name, user=_user(request))
    return accepted({"message": f"Task {name} started", "task_name": name})


@api("admin")
async def read_log(request: HttpRequest, log: str) -> list[dict[str, object]]:
    return await logs.fetch_log(logs.log_query(log, request.GET))


@api("admin")
async def log_stats(request: HttpRequest) -> list[dict[str, object]]:
    return await logs.log_stats(int(integer(request.GET, "days", default=7, minimum=1, maximum=30) or 7))


@api("admin")
async def update_error(request: HttpRequest, error_id: int) -> dict[str, object]:
    updated = await logs.update_error_resolution(error_id, json_object(request), user=_user(request))
    return {"message": f"Error {error_id} is now {updated['resolution_status']}", **updated}


@api("admin")
async def validate_schema(request: HttpRequest) -> dict[str, object]:
    return await schema_check.validate_schema()


async def _may_read_metrics(request: HttpRequest) -> bool:
    token = getattr(settings, "METRICS_TOKEN", "")
    header = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(header.encode(), f"Bearer {token}".encode()):
        return True
    return has_role(await role_of(await request.auser()), "admin")


async def prometheus_metrics(request: HttpRequest) -> HttpResponse:
    if not await _may_read_metrics(request):
        user = await request.auser()
        if user.is_authenticated:
            return HttpResponse("Metrics are for administrators.\n", status=403, content_type="text/plain")
        response = HttpResponse("Authentication is required.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = "Bearer"
        return response
    return HttpResponse(metrics.render(await metrics.collect()), content_type=PROMETHEUS_CONTENT_TYPE)
