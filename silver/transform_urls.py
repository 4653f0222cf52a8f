from django.urls import path

from silver import transform_views as views

urlpatterns = [
    path("silver/transform", views.transform_page, name="silver-transform"),
    path("silver/data", views.data_page, name="silver-data"),
    path("silver/quality", views.quality_page, name="silver-quality"),
    path("silver/quarantine", views.quarantine_page, name="silver-quarantine"),
]
