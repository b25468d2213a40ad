"""Request guards that run before any view."""

import time
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.http import HttpResponseBadRequest, JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.translation import gettext as _

from alize.api.exceptions import error_body


class RejectNulBytesMiddleware:
    """Answer 400 to a request whose parameters carry a NUL character.

    PostgreSQL text cannot hold NUL, so such input would otherwise fail deep in a query
    (a 500) instead of being refused up front. Uploaded files are not inspected.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self.has_nul(request):
            message = _("La requête contient un caractère nul, qui n'est pas accepté.")
            if request.path.startswith("/api/"):
                return JsonResponse(error_body(message=message, code="nul_character"), status=400)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    @staticmethod
    def has_nul(request) -> bool:
        if b"\x00" in unquote_to_bytes(request.META.get("QUERY_STRING", "")):
            return True
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return False
        content_type = request.META.get("CONTENT_TYPE", "")
        if content_type.startswith("multipart/"):
            return any("\x00" in value for value in request.POST.values())
        if content_type.startswith("application/x-www-form-urlencoded"):
            return b"\x00" in unquote_to_bytes(request.body)
        return b"\x00" in request.body or b"\\u0000" in request.body


class FrenchFirstLocaleMiddleware(LocaleMiddleware):
    """French unless the user chose another language with the switch (cookie).

    The programme works in French: a browser's Accept-Language header alone does not
    switch the interface to English.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        available = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in available else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class SessionIdleTimeoutMiddleware:
    """A signed-in session ends after ``SESSION_COOKIE_AGE`` without activity (a working
    day). Activity pushes the expiry back, but the session is saved only when the last
    recorded activity is older than ``SESSION_ACTIVITY_REFRESH``: reading a page does not
    write the session row every time."""

    KEY = "_alize_seen"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if session is not None and user is not None and user.is_authenticated:
            now = int(time.time())
            if now - session.get(self.KEY, 0) >= settings.SESSION_ACTIVITY_REFRESH:
                session[self.KEY] = now  # marks the session modified: saved, expiry renewed
        return self.get_response(request)
