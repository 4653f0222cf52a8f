from django.urls import path

from medallion.api import dispatch
from silver import definition_views as views
from silver import x12_views

urlpatterns = [
    path("silver/schemas", dispatch(GET=views.list_schemas, POST=views.create_schema_column)),
    path("silver/schemas/table/<str:table_name>", dispatch(DELETE=views.delete_schema_table)),
    path("silver/schemas/<int:schema_id>", dispatch(PUT=views.update_schema_column, DELETE=views.delete_schema_column)),
    path("silver/schemas/<str:table_name>/columns", dispatch(GET=views.schema_column_names)),
    path("silver/cortex-models", dispatch(GET=views.cortex_models)),
    path("silver/tables", dispatch(GET=views.list_tables)),
    path("silver/tables/exists", dispatch(GET=views.table_exists)),
    path("silver/tables/create", dispatch(POST=views.create_table)),
    path("silver/tables/delete", dispatch(DELETE=views.delete_table)),
    path("silver/mappings", dispatch(GET=views.list_mappings, POST=views.create_mapping)),
    path("silver/mappings/validate", dispatch(GET=views.validate_mappings)),
    path("silver/mappings/auto-ml", dispatch(POST=views.auto_map_ml)),
    path("silver/mappings/auto-llm", dispatch(POST=views.auto_map_llm)),
    path("silver/mappings/builtin/x12-837", dispatch(POST=x12_views.builtin_837_mapping)),
    path("silver/mappings/<int:mapping_id>/approve", dispatch(POST=views.approve_mapping)),
    path("silver/mappings/<int:mapping_id>", dispatch(DELETE=views.delete_mapping, PATCH=views.update_mapping)),
]
