from django.http import HttpRequest, HttpResponse

from medallion.decorators import api
from medallion.http import accepted, created, json_object, username
from ops import alerts, cadence, logs, scheduler, schema_check, tasks
from ops.forms import DaysForm, DeliveriesForm, ExpectationForm, ResolutionForm, SubscriptionForm, log_query
from tpa.forms import tpa_filter, tpa_param


@api("viewer")
async def list_tasks(request: HttpRequest, layer: str | None) -> list[dict[str, object]]:
    return await tasks.list_tasks(layer)


@api("admin")
async def resume_task(request: HttpRequest, task_name: str, layer: str | None) -> dict[str, object]:
    name = await tasks.resume_task(layer, task_name, user=username(request))
    return {"message": f"Task {name} resumed successfully"}


@api("admin")
async def suspend_task(request: HttpRequest, task_name: str, layer: str | None) -> dict[str, object]:
    name = await tasks.suspend_task(layer, task_name, user=username(request))
    return {"message": f"Task {name} suspended successfully"}


@api("admin")
async def change_schedule(request: HttpRequest, task_name: str, layer: str | None) -> dict[str, object]:
    schedule = json_object(request).get("schedule")
    name, new_schedule = await tasks.change_schedule(layer, task_name, schedule, user=username(request))
    return {"message": f"Task {name} schedule updated successfully", "new_schedule": new_schedule}


@api("admin")
async def run_task(request: HttpRequest, task_name: str) -> HttpResponse:
    name = tasks.find_definition(None, task_name).name
    await scheduler.start_now(None, name, user=username(request))
    return accepted({"message": f"Task {name} started", "task_name": name})


@api("admin")
async def read_log(request: HttpRequest, log: str) -> list[dict[str, object]]:
    return await logs.fetch_log(log_query(log, request.GET))


@api("admin")
async def log_stats(request: HttpRequest) -> list[dict[str, object]]:
    return await logs.log_stats(DaysForm.parse(request.GET)["days"])


@api("admin")
async def update_error(request: HttpRequest, error_id: int) -> dict[str, object]:
    resolution = ResolutionForm.parse(json_object(request))
    updated = await logs.update_error_resolution(error_id, **resolution, user=username(request))
    return {"message": f"Error {error_id} is now {updated['resolution_status']}", **updated}


@api("admin")
async def validate_schema(request: HttpRequest) -> dict[str, object]:
    return await schema_check.validate_schema()


@api("viewer")
async def expectations(request: HttpRequest) -> list[dict[str, object]]:
    return await cadence.expectation_status(tpa_filter(request.GET))


@api("operator")
async def save_expectation(request: HttpRequest) -> HttpResponse:
    expected = ExpectationForm(json_object(request)).expectation()
    return created(await cadence.save_expectation(expected, user=username(request)))


@api("operator")
async def delete_expectation(request: HttpRequest, file_kind: str) -> dict[str, object]:
    await cadence.delete_expectation(tpa_param(request.GET), file_kind, user=username(request))
    return {"message": f"Expectation {file_kind} deleted"}


@api("admin")
async def alert_subscriptions(request: HttpRequest) -> list[dict[str, object]]:
    return await alerts.list_subscriptions()


@api("admin")
async def create_alert_subscription(request: HttpRequest) -> HttpResponse:
    subscription = SubscriptionForm(json_object(request)).subscription()
    return created(await alerts.create_subscription(subscription, user=username(request)))


@api("admin")
async def delete_alert_subscription(request: HttpRequest, subscription_id: int) -> dict[str, object]:
    await alerts.delete_subscription(subscription_id, user=username(request))
    return {"message": f"Alert subscription {subscription_id} deleted"}


@api("admin")
async def alert_deliveries(request: HttpRequest) -> list[dict[str, object]]:
    return await alerts.list_deliveries(DeliveriesForm.parse(request.GET)["limit"])
