"""The platform's routes and one that fails with personal data in its request and its
error, for the error reporting test (tests/test_error_reporting.py)."""

from django.urls import path

from alize.urls import urlpatterns as platform_urlpatterns


def failing_view(request):
    email = request.POST.get("email", "")
    raise RuntimeError(f"Relance impossible pour {email}")


urlpatterns = [*platform_urlpatterns, path("echec/", failing_view, name="failing")]
