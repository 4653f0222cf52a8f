from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from bronze import layout_views, views
from medallion.api import dispatch

urlpatterns = [
    path("bronze/source-fields", dispatch(GET=views.source_fields)),
    # The upload view checks CSRF itself, after streaming the body to disk through its own upload handler.
    path("bronze/upload", csrf_exempt(dispatch(POST=views.upload))),
    path("bronze/queue", dispatch(GET=views.queue)),
    path("bronze/status", dispatch(GET=views.status)),
    path("bronze/stats", dispatch(GET=views.stats)),
    path("bronze/raw-data", dispatch(GET=views.raw_data)),
    path("bronze/stages/<str:stage_name>", dispatch(GET=views.stage_files)),
    path("bronze/stages/<str:stage_name>/files", dispatch(DELETE=views.delete_stage_file)),
    path("bronze/stages/<str:stage_name>/files/bulk-delete", dispatch(POST=views.bulk_delete_stage_files)),
    path("bronze/discover", dispatch(POST=views.discover)),
    path("bronze/reset-stuck", dispatch(POST=views.reset_stuck)),
    path("bronze/reprocess/<int:queue_id>", dispatch(POST=views.reprocess)),
    path("bronze/process", dispatch(POST=views.process)),
    path("bronze/clear-all-data", dispatch(POST=views.clear_all_data)),
    path("bronze/data/file/<path:file_name>", dispatch(DELETE=views.delete_file_data)),
    path("bronze/layouts", dispatch(GET=layout_views.list_layouts, POST=layout_views.save_layout)),
    path("bronze/layouts/<str:layout_name>", dispatch(DELETE=layout_views.delete_layout)),
]
