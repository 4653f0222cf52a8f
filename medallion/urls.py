from django.contrib import admin
from django.urls import include, path, re_path

from medallion import views
from medallion.login import AuditedLogoutView, ThrottledLoginView

admin.site.site_header = "Medallion administration"

urlpatterns = [
    path("api/health", views.health),
    path("api/health/db", views.health_db),
    path("api/health/ready", views.health_ready),
    path("api/user/current", views.current_user),
    path("api/", include("tpa.api_urls")),
    path("api/", include("bronze.api_urls")),
    path("api/", include("silver.api_urls")),
    path("api/", include("gold.api_urls")),
    path("api/", include("ops.api_urls")),
    re_path(r"^api/(?P<path>.*)$", views.api_not_found),
    path("accounts/login", ThrottledLoginView.as_view(), name="login"),
    path("accounts/logout", AuditedLogoutView.as_view(), name="logout"),
    path("django-admin/", admin.site.urls),
    path("", views.home, name="home"),
    path("select-tpa", views.select_tpa, name="select-tpa"),
    path("", include("tpa.urls")),
    path("", include("bronze.urls")),
    path("", include("silver.urls")),
    path("", include("gold.urls")),
    path("", include("ops.urls")),
]

handler404 = "medallion.views.handler404"
handler500 = "medallion.views.handler500"
