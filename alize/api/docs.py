"""The OpenAPI schema and its documentation page, for signed-in users and token holders only."""

from django.contrib.auth.views import redirect_to_login
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import IsAuthenticated


class PrivateSchemaView(SpectacularAPIView):
    """The schema; an anonymous caller gets 401."""

    permission_classes = [IsAuthenticated]


class PrivateSwaggerView(SpectacularSwaggerSplitView):
    """Swagger UI with its start-up script served as a file (no inline script, for the
    Content Security Policy); an anonymous browser is sent to the login page."""

    permission_classes = [IsAuthenticated]
    template_name = "api/swagger_ui.html"

    def handle_exception(self, exc):
        if isinstance(exc, NotAuthenticated):
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)
