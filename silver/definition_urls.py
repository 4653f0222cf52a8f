from django.urls import path

from silver import definition_views as views

urlpatterns = [
    path("silver/schemas", views.schemas_page, name="silver-schemas"),
    path("silver/schemas/export.csv", views.export_schemas, name="silver-schemas-export"),
    path("silver/schemas/import", views.import_schemas, name="silver-schemas-import"),
    path("silver/mappings", views.mappings_page, name="silver-mappings"),
    path("silver/mappings/overview", views.mappings_overview_page, name="silver-mappings-overview"),
    path("silver/mappings/export.csv", views.export_mappings, name="silver-mappings-export"),
    path("silver/mappings/import", views.import_mappings, name="silver-mappings-import"),
    path("silver/mappings/prompt-template", views.save_prompt_template, name="silver-prompt-template"),
]
