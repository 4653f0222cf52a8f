from django.urls import path

from medallion.decorators import dispatch
from tpa import api, views

urlpatterns = [
    path("operations/tpas", views.manage_tpas, name="tpa-manage"),
]

api_urlpatterns = [
    path("tpas", dispatch(GET=api.list_tpas, POST=api.create_tpa)),
    path("tpas/<str:tpa_code>", dispatch(PUT=api.update_tpa, DELETE=api.delete_tpa)),
    path("tpas/<str:tpa_code>/status", dispatch(PATCH=api.set_tpa_status)),
]
