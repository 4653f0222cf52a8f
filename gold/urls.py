from django.urls import path

from gold import reconciliation_views, views

urlpatterns = [
    path("gold/analytics", views.analytics_page, name="gold-analytics"),
    path("gold/analytics/<str:table_name>/export.csv", views.export_csv, name="gold-export"),
    path("gold/metrics", views.metrics_page, name="gold-metrics"),
    path("gold/quality", views.quality_page, name="gold-quality"),
    path("gold/rules", views.rules_page, name="gold-rules"),
]
urlpatterns += [
    path("bronze/files/<int:queue_id>/reconciliation", reconciliation_views.file_page, name="file-reconciliation"),
    path("gold/reconciliation", reconciliation_views.monthly_page, name="gold-reconciliation"),
    path("gold/reconciliation/export.csv", reconciliation_views.monthly_csv, name="gold-reconciliation-csv"),
]
