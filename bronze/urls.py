from django.urls import path

from bronze import views

urlpatterns = [
    path("bronze/upload", views.upload_page, name="bronze-upload"),
    path("bronze/status", views.status_page, name="bronze-status"),
    path("bronze/stages", views.stages_page, name="bronze-stages"),
    path("bronze/data", views.data_page, name="bronze-data"),
    path("bronze/fields", views.fields_page, name="bronze-fields"),
]
