from django.urls import path

from ops import pages, views

urlpatterns = [
    path("admin/tasks", pages.tasks_page, name="ops-tasks"),
    path("admin/logs", pages.logs_page, name="ops-logs"),
    path("admin/audit", pages.audit_page, name="ops-audit"),
    path("admin/system", pages.system_page, name="ops-system"),
    path("admin/schema", pages.schema_page, name="ops-schema"),
    path("admin/clear-data", pages.clear_data_page, name="ops-clear-data"),
    path("metrics", views.prometheus_metrics, name="metrics"),
]
