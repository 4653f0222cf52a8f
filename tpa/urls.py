from django.urls import path

from tpa import views

urlpatterns = [
    path("admin/tpas", views.manage_tpas, name="tpa-manage"),
]
