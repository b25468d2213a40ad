"""The OpenAPI schema and its documentation page, for callers who hold a role only."""

from django.contrib.auth.views import redirect_to_login
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import IsAuthenticated

from alize.accounts.roles import roles_of


class HoldsARole(IsAuthenticated):
    """A signed-in user or token holder with at least one role assignment; anyone else is
    refused (401 when anonymous, 403 otherwise), as the API refuses a caller without access."""

    def has_permission(self, request, view):
        return super().has_permission(request, view) and bool(roles_of(request.user))


class PrivateSchemaView(SpectacularAPIView):
    """The schema; an anonymous caller gets 401, a user without a role 403."""

    permission_classes = [HoldsARole]


class PrivateSwaggerView(SpectacularSwaggerSplitView):
    """Swagger UI with its start-up script served as a file (no inline script, for the
    Content Security Policy); an anonymous browser is sent to the login page, a user without
    a role gets the 403 page."""

    permission_classes = [HoldsARole]
    template_name = "api/swagger_ui.html"

    def handle_exception(self, exc):
        if isinstance(exc, NotAuthenticated):
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)
