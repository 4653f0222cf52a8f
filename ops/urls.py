from django.urls import path

from medallion.decorators import dispatch
from ops import api, views

TASK_LAYERS = {"bronze": "BRONZE", "silver": "SILVER", "gold": "GOLD", "admin": None}
LOGS = ("application", "tasks", "file-processing", "errors", "api-requests")


def _task_routes(prefix: str, layer: str | None) -> list:
    scope = {"layer": layer}
    return [
        path(f"{prefix}/tasks", dispatch(GET=api.list_tasks), scope),
        path(f"{prefix}/tasks/<str:task_name>/resume", dispatch(POST=api.resume_task), scope),
        path(f"{prefix}/tasks/<str:task_name>/suspend", dispatch(POST=api.suspend_task), scope),
        path(f"{prefix}/tasks/<str:task_name>/schedule", dispatch(PUT=api.change_schedule), scope),
    ]


urlpatterns = [
    path("", views.home, name="home"),
    path("operations/tasks", views.tasks_page, name="ops-tasks"),
    path("operations/tasks/<str:task_name>/resume", views.resume_task, name="ops-task-resume"),
    path("operations/tasks/<str:task_name>/suspend", views.suspend_task, name="ops-task-suspend"),
    path("operations/tasks/<str:task_name>/schedule", views.change_schedule, name="ops-task-schedule"),
    path("operations/tasks/<str:task_name>/run", views.run_task, name="ops-task-run"),
    path("operations/logs", views.logs_page, name="ops-logs"),
    path("operations/audit", views.audit_page, name="ops-audit"),
    path("operations/system", views.system_page, name="ops-system"),
    path("operations/schema", views.schema_page, name="ops-schema"),
    path("operations/clear-data", views.clear_data_page, name="ops-clear-data"),
    path("operations/alerts", views.alerts_page, name="ops-alerts"),
    path("operations/alerts/expectations", views.save_expectation, name="ops-expectation-save"),
    path("operations/alerts/expectations/delete", views.delete_expectation, name="ops-expectation-delete"),
    path("operations/alerts/subscriptions", views.create_subscription, name="ops-subscription-create"),
    path(
        "operations/alerts/subscriptions/<int:subscription_id>/delete",
        views.delete_subscription,
        name="ops-subscription-delete",
    ),
    path("metrics", views.prometheus_metrics, name="metrics"),
]

api_urlpatterns = [
    *(route for prefix, layer in TASK_LAYERS.items() for route in _task_routes(prefix, layer)),
    path("admin/tasks/<str:task_name>/run", dispatch(POST=api.run_task)),
    *(path(f"logs/{log}", dispatch(GET=api.read_log), {"log": log}) for log in LOGS),
    path("logs/stats", dispatch(GET=api.log_stats)),
    path("logs/errors/<int:error_id>", dispatch(PATCH=api.update_error)),
    path("admin/audit", dispatch(GET=api.read_log), {"log": "audit"}),
    path("admin/validate-schema", dispatch(GET=api.validate_schema)),
    path("ops/expectations", dispatch(GET=api.expectations, POST=api.save_expectation)),
    path("ops/expectations/<str:file_kind>", dispatch(DELETE=api.delete_expectation)),
    path("ops/alerts/subscriptions", dispatch(GET=api.alert_subscriptions, POST=api.create_alert_subscription)),
    path("ops/alerts/subscriptions/<int:subscription_id>", dispatch(DELETE=api.delete_alert_subscription)),
    path("ops/alerts/deliveries", dispatch(GET=api.alert_deliveries)),
]
