from django.urls import path

from medallion.decorators import dispatch
from silver import api, views

urlpatterns = [
    path("silver/schemas", views.schemas_page, name="silver-schemas"),
    path("silver/schemas/export.csv", views.export_schemas, name="silver-schemas-export"),
    path("silver/schemas/import", views.import_schemas, name="silver-schemas-import"),
    path("silver/mappings", views.mappings_page, name="silver-mappings"),
    path("silver/mappings/export.csv", views.export_mappings, name="silver-mappings-export"),
    path("silver/mappings/import", views.import_mappings, name="silver-mappings-import"),
    path("silver/mappings/prompt-template", views.save_prompt_template, name="silver-prompt-template"),
    path("silver/transform", views.transform_page, name="silver-transform"),
    path("silver/data", views.data_page, name="silver-data"),
    path("silver/quality", views.quality_page, name="silver-quality"),
    path("silver/quarantine", views.quarantine_page, name="silver-quarantine"),
]

api_urlpatterns = [
    path("silver/schemas", dispatch(GET=api.list_schemas, POST=api.create_schema_column)),
    path("silver/schemas/table/<str:table_name>", dispatch(DELETE=api.delete_schema_table)),
    path("silver/schemas/<int:schema_id>", dispatch(PUT=api.update_schema_column, DELETE=api.delete_schema_column)),
    path("silver/schemas/<str:table_name>/columns", dispatch(GET=api.schema_column_names)),
    path("silver/cortex-models", dispatch(GET=api.cortex_models)),
    path("silver/tables", dispatch(GET=api.list_tables)),
    path("silver/tables/exists", dispatch(GET=api.table_exists)),
    path("silver/tables/create", dispatch(POST=api.create_table)),
    path("silver/tables/delete", dispatch(DELETE=api.delete_table)),
    path("silver/mappings", dispatch(GET=api.list_mappings, POST=api.create_mapping)),
    path("silver/mappings/validate", dispatch(GET=api.validate_mappings)),
    path("silver/mappings/auto-ml", dispatch(POST=api.auto_map_ml)),
    path("silver/mappings/auto-llm", dispatch(POST=api.auto_map_llm)),
    path("silver/mappings/<int:mapping_id>/approve", dispatch(POST=api.approve_mapping)),
    path("silver/mappings/<int:mapping_id>", dispatch(DELETE=api.delete_mapping, PATCH=api.update_mapping)),
    path("silver/transform", dispatch(POST=api.run_transform)),
    path("silver/transform/history", dispatch(GET=api.transform_history)),
    path("silver/transform/batches/<str:batch_id>", dispatch(GET=api.transform_batch)),
    path("silver/rules", dispatch(GET=api.list_rules, POST=api.create_rule)),
    path("silver/rules/<int:rule_id>", dispatch(PUT=api.update_rule, DELETE=api.delete_rule)),
    path("silver/data", dispatch(GET=api.silver_data)),
    path("silver/data/stats", dispatch(GET=api.silver_data_stats)),
    path("silver/data/export", dispatch(GET=api.silver_data_export)),
    path("silver/quality/check", dispatch(POST=api.quality_check)),
    path("silver/quality/check-all", dispatch(POST=api.quality_check_all)),
    path("silver/quality/summary", dispatch(GET=api.quality_summary)),
    path("silver/quality/failures", dispatch(GET=api.quality_failures)),
    path("silver/quality/trends", dispatch(GET=api.quality_trends)),
    path("silver/quality/metrics", dispatch(GET=api.quality_metrics)),
    path("silver/quarantine", dispatch(GET=api.quarantine_records)),
    path("silver/quarantine/export", dispatch(GET=api.quarantine_export)),
    path("silver/quarantine/release", dispatch(POST=api.quarantine_release)),
]
