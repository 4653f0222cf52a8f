from django.contrib import admin
from django.urls import include, path, re_path

import bronze.urls
import gold.urls
import ops.urls
import silver.urls
import tpa.urls
from medallion import api, views
from medallion.decorators import dispatch
from medallion.login import AuditedLogoutView, ThrottledLoginView

admin.site.site_header = "Medallion administration"

APP_URLS = (tpa.urls, bronze.urls, silver.urls, gold.urls, ops.urls)

urlpatterns = [
    path("api/health", api.health),
    path("api/health/db", api.health_db),
    path("api/health/ready", api.health_ready),
    path("api/user/current", api.current_user),
    path("api/openapi.json", dispatch(GET=api.openapi_json), name="api-openapi"),
    path("api/events", dispatch(GET=api.events), name="api-events"),
    path("api/docs", views.api_docs, name="api-docs"),
    *(path("api/", include(app.api_urlpatterns)) for app in APP_URLS),
    re_path(r"^api/(?P<path>.*)$", views.api_not_found),
    path("accounts/login", ThrottledLoginView.as_view(), name="login"),
    path("accounts/logout", AuditedLogoutView.as_view(), name="logout"),
    path("django-admin/", admin.site.urls),
    path("select-tpa", views.select_tpa, name="select-tpa"),
    re_path(rf"^admin/(?P<page>{'|'.join(views.MOVED_PAGES)})$", views.moved_to_operations),
    *(path("", include(app.urlpatterns)) for app in APP_URLS),
]

handler404 = "medallion.views.handler404"
handler500 = "medallion.views.handler500"
