from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from bronze import api, views
from medallion.decorators import dispatch

urlpatterns = [
    path("bronze/upload", views.upload_page, name="bronze-upload"),
    path("bronze/status", views.status_page, name="bronze-status"),
    path("bronze/stages", views.stages_page, name="bronze-stages"),
    path("bronze/data", views.data_page, name="bronze-data"),
    path("bronze/fields", views.fields_page, name="bronze-fields"),
    path("bronze/layouts", views.layouts_page, name="bronze-layouts"),
]

api_urlpatterns = [
    path("bronze/source-fields", dispatch(GET=api.source_fields)),
    # The upload view checks CSRF itself, after streaming the body to disk through its own upload handler.
    path("bronze/upload", csrf_exempt(dispatch(POST=api.upload)), name="api-bronze-upload"),
    path("bronze/queue", dispatch(GET=api.list_queue)),
    path("bronze/status", dispatch(GET=api.status)),
    path("bronze/stats", dispatch(GET=api.stats)),
    path("bronze/raw-data", dispatch(GET=api.raw_data)),
    path("bronze/stages/<str:stage_name>", dispatch(GET=api.stage_files)),
    path("bronze/stages/<str:stage_name>/files", dispatch(DELETE=api.delete_stage_file), name="api-bronze-stage-files"),
    path(
        "bronze/stages/<str:stage_name>/files/bulk-delete",
        dispatch(POST=api.bulk_delete_stage_files),
        name="api-bronze-stage-bulk-delete",
    ),
    path("bronze/discover", dispatch(POST=api.discover)),
    path("bronze/reset-stuck", dispatch(POST=api.reset_stuck)),
    path("bronze/reprocess/<int:queue_id>", dispatch(POST=api.reprocess), name="api-bronze-reprocess"),
    path("bronze/process", dispatch(POST=api.process), name="api-bronze-process"),
    path("bronze/clear-all-data", dispatch(POST=api.clear_all_data), name="api-bronze-clear-all"),
    path("bronze/data/file/<path:file_name>", dispatch(DELETE=api.delete_file_data), name="api-bronze-file-data"),
    path("bronze/layouts", dispatch(GET=api.list_layouts, POST=api.save_layout)),
    path("bronze/layouts/<str:layout_name>", dispatch(DELETE=api.delete_layout)),
]
