from django.urls import path

from medallion.api import dispatch
from ops import views

TASK_LAYERS = {"bronze": "BRONZE", "silver": "SILVER", "gold": "GOLD", "admin": None}
LOGS = ("application", "tasks", "file-processing", "errors", "api-requests")


def _task_routes(prefix: str, layer: str | None) -> list:
    scope = {"layer": layer}
    return [
        path(f"{prefix}/tasks", dispatch(GET=views.list_tasks), scope),
        path(f"{prefix}/tasks/<str:task_name>/resume", dispatch(POST=views.resume_task), scope),
        path(f"{prefix}/tasks/<str:task_name>/suspend", dispatch(POST=views.suspend_task), scope),
        path(f"{prefix}/tasks/<str:task_name>/schedule", dispatch(PUT=views.change_schedule), scope),
    ]


urlpatterns = [
    *(route for prefix, layer in TASK_LAYERS.items() for route in _task_routes(prefix, layer)),
    path("admin/tasks/<str:task_name>/run", dispatch(POST=views.run_task)),
    *(path(f"logs/{log}", dispatch(GET=views.read_log), {"log": log}) for log in LOGS),
    path("logs/stats", dispatch(GET=views.log_stats)),
    path("logs/errors/<int:error_id>", dispatch(PATCH=views.update_error)),
    path("admin/audit", dispatch(GET=views.read_log), {"log": "audit"}),
    path("admin/validate-schema", dispatch(GET=views.validate_schema)),
]
