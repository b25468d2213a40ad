"""All API routes under /api/v1/, namespace ``api``."""

from django.urls import include, path

app_name = "api"

urlpatterns = [
    path("", include("dispositifs.api.urls")),
    path("", include("committees.api.urls")),
    path("", include("partners.api.urls")),
    path("", include("pme.api.urls")),
    path("", include("missions.api.urls")),
    path("", include("loans.api.urls")),
    path("", include("reporting.api.urls")),
]
