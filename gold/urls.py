from django.urls import path

from gold import api, views
from medallion.decorators import dispatch

urlpatterns = [
    path("gold/analytics", views.analytics_page, name="gold-analytics"),
    path("gold/analytics/<str:table_name>/export.csv", views.export_csv, name="gold-export"),
    path("gold/metrics", views.metrics_page, name="gold-metrics"),
    path("gold/quality", views.quality_page, name="gold-quality"),
    path("gold/rules", views.rules_page, name="gold-rules"),
    path("bronze/files/<int:queue_id>/reconciliation", views.file_reconciliation_page, name="file-reconciliation"),
    path("gold/reconciliation", views.monthly_reconciliation_page, name="gold-reconciliation"),
    path("gold/lineage", views.lineage_page, name="gold-lineage"),
    path("gold/reconciliation/export.csv", views.monthly_reconciliation_csv, name="gold-reconciliation-csv"),
]

api_urlpatterns = [
    path("gold/analytics/<str:table_name>", dispatch(GET=api.analytics_rows)),
    path("gold/analytics/<str:table_name>/stats", dispatch(GET=api.analytics_stats)),
    path("gold/metrics", dispatch(GET=api.business_metrics)),
    path("gold/quality/results", dispatch(GET=api.quality_results)),
    path("gold/quality/stats", dispatch(GET=api.quality_stats)),
    path("gold/quality/run", dispatch(POST=api.run_quality), name="api-gold-quality-run"),
    path("gold/refresh", dispatch(POST=api.run_refresh), name="api-gold-refresh"),
    path("gold/refresh/runs", dispatch(GET=api.refresh_runs)),
    path("bronze/files/reconciliation", dispatch(GET=api.file_verdicts), name="api-file-verdicts"),
    path("bronze/files/<int:queue_id>/reconciliation", dispatch(GET=api.file_reconciliation)),
    path("gold/reconciliation/monthly", dispatch(GET=api.monthly_reconciliation)),
    path("gold/lineage", dispatch(GET=api.cell_lineage)),
]
for kind in ("transformation", "quality"):
    api_urlpatterns += [
        path(
            f"gold/rules/{kind}",
            dispatch(GET=api.rule_list(kind), POST=api.rule_create(kind)),
            name=f"api-gold-{kind}-rules",
        ),
        path(f"gold/rules/{kind}/<int:rule_id>", dispatch(PUT=api.rule_update(kind)), name=f"api-gold-{kind}-rule"),
        path(
            f"gold/rules/{kind}/<int:rule_id>/status",
            dispatch(PATCH=api.rule_status(kind)),
            name=f"api-gold-{kind}-rule-status",
        ),
    ]
