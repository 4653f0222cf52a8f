from django.urls import path

from medallion.api import dispatch
from tpa import views

urlpatterns = [
    path("tpas", dispatch(GET=views.list_tpas, POST=views.create_tpa)),
    path("tpas/<str:tpa_code>", dispatch(PUT=views.update_tpa, DELETE=views.delete_tpa)),
    path("tpas/<str:tpa_code>/status", dispatch(PATCH=views.set_tpa_status)),
]
