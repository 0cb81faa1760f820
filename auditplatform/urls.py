from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from audits.api.exceptions import not_found
from audits.observability.prometheus import metrics_view

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("audits.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file, so the docs work under our CSP (no inline script).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("metrics", metrics_view, name="metrics"),
    path("", include("frontend.urls")),
]

# Under /api/ a path no route matches answers the API's JSON 404, not an HTML page.
handler404 = not_found
