from django.urls import path

from medallion.api import dispatch
from silver import transform_views as views

urlpatterns = [
    path("silver/transform", dispatch(POST=views.run_transform)),
    path("silver/transform/history", dispatch(GET=views.transform_history)),
    path("silver/transform/batches/<str:batch_id>", dispatch(GET=views.transform_batch)),
    path("silver/rules", dispatch(GET=views.list_rules, POST=views.create_rule)),
    path("silver/rules/<int:rule_id>", dispatch(PUT=views.update_rule, DELETE=views.delete_rule)),
    path("silver/data", dispatch(GET=views.silver_data)),
    path("silver/data/stats", dispatch(GET=views.silver_data_stats)),
    path("silver/data/export", dispatch(GET=views.silver_data_export)),
    path("silver/quality/check", dispatch(POST=views.quality_check)),
    path("silver/quality/check-all", dispatch(POST=views.quality_check_all)),
    path("silver/quality/summary", dispatch(GET=views.quality_summary)),
    path("silver/quality/failures", dispatch(GET=views.quality_failures)),
    path("silver/quality/trends", dispatch(GET=views.quality_trends)),
    path("silver/quality/metrics", dispatch(GET=views.quality_metrics)),
    path("silver/quarantine", dispatch(GET=views.quarantine_records)),
    path("silver/quarantine/export", dispatch(GET=views.quarantine_export)),
    path("silver/quarantine/release", dispatch(POST=views.quarantine_release)),
]
