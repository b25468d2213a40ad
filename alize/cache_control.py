"""Responses that may carry personal data are never stored by browsers or shared caches."""

from django.utils.cache import patch_cache_control


class PrivateCacheControlMiddleware:
    """Marks ``Cache-Control: private, no-store`` on every API response and on every page
    served to a signed-in user. Static files are answered before this (WhiteNoise)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if request.path.startswith("/api/") or (user is not None and user.is_authenticated):
            patch_cache_control(response, private=True, no_store=True)
        return response
