from django.urls import path

from bench import views
from medallion.decorators import dispatch
from medallion.urls import handler404, handler500
from medallion.urls import urlpatterns as app_urlpatterns

urlpatterns = [
    path("api/bench/tpas/async", views.tpas_async),
    path("api/bench/tpas/sync", views.tpas_sync),
    path("api/bench/tpas/naive", views.tpas_naive),
    path("api/bench/tpas/bare", views.tpas_bare),
    path("api/bench/dashboard/<str:mode>", views.dashboard),
    path("api/bench/metrics", views.metrics),
    path("api/bench/invalidate", dispatch(POST=views.invalidate_tpas)),
    *app_urlpatterns,
]

__all__ = ["handler404", "handler500", "urlpatterns"]
