"""The provider's routes: django-oauth-toolkit's (authorize, token, userinfo, JWKS,
discovery) under /o/, and a login page for its people."""

from django.contrib.auth.views import LoginView
from django.urls import include, path

urlpatterns = [
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("login/", LoginView.as_view(template_name="provider_login.html"), name="login"),
]
