from django.urls import path

from gold import reconciliation_views, views
from medallion.api import dispatch

urlpatterns = [
    path("gold/analytics/<str:table_name>", dispatch(GET=views.analytics_rows)),
    path("gold/analytics/<str:table_name>/stats", dispatch(GET=views.analytics_stats)),
    path("gold/metrics", dispatch(GET=views.business_metrics)),
    path("gold/quality/results", dispatch(GET=views.quality_results)),
    path("gold/quality/stats", dispatch(GET=views.quality_stats)),
    path("gold/quality/run", dispatch(POST=views.run_quality)),
    path("gold/refresh", dispatch(POST=views.run_refresh)),
    path("gold/refresh/runs", dispatch(GET=views.refresh_runs)),
    path("bronze/files/reconciliation", dispatch(GET=reconciliation_views.file_verdicts)),
    path("bronze/files/<int:queue_id>/reconciliation", dispatch(GET=reconciliation_views.file_reconciliation)),
    path("gold/reconciliation/monthly", dispatch(GET=reconciliation_views.monthly_report)),
]
for kind in ("transformation", "quality"):
    urlpatterns += [
        path(f"gold/rules/{kind}", dispatch(GET=views.rule_list(kind), POST=views.rule_create(kind))),
        path(f"gold/rules/{kind}/<int:rule_id>", dispatch(PUT=views.rule_update(kind))),
        path(f"gold/rules/{kind}/<int:rule_id>/status", dispatch(PATCH=views.rule_status(kind))),
    ]
