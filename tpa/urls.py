from django.urls import path

from medallion.decorators import dispatch
from tpa import api, views

urlpatterns = [
    path("operations/tpas", views.manage_tpas, name="tpa-manage"),
    path("operations/tpas/add", views.create_tpa, name="tpa-create"),
    path("operations/tpas/<str:tpa_code>/edit", views.update_tpa, name="tpa-update"),
    path("operations/tpas/<str:tpa_code>/conversions", views.set_conversions, name="tpa-conversions"),
    path("operations/tpas/<str:tpa_code>/activate", views.activate_tpa, name="tpa-activate"),
    path("operations/tpas/<str:tpa_code>/deactivate", views.deactivate_tpa, name="tpa-deactivate"),
    path("operations/tpas/<str:tpa_code>/delete", views.delete_tpa, name="tpa-delete"),
]

api_urlpatterns = [
    path("tpas", dispatch(GET=api.list_tpas, POST=api.create_tpa), name="api-tpas"),
    path("tpas/<str:tpa_code>", dispatch(PUT=api.update_tpa, DELETE=api.delete_tpa), name="api-tpa"),
    path("tpas/<str:tpa_code>/status", dispatch(PATCH=api.set_tpa_status), name="api-tpa-status"),
]
