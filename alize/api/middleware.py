"""The API's own, shorter middleware chain for token requests (docs/decisions/0018).

A request under ``/api/`` that carries ``Authorization: Token …`` is authenticated by DRF
from its token alone: the session, CSRF cookie, messages, second factor, htmx and the
session's user are never read for it. ``ApiBranchMiddleware``, first in ``MIDDLEWARE``,
sends such a request through ``API_MIDDLEWARE`` (security headers, CSP, the NUL-byte
guard, cache control, language, request log context, tenancy, history, metrics) instead
of the web's chain. Every other request, a session's API call included, takes the web's
chain unchanged.
"""

from __future__ import annotations

from django.conf import settings
from django.core.handlers.base import BaseHandler

API_PREFIX = "/api/"
TOKEN_KEYWORD = b"token"


def is_token_api_request(request) -> bool:
    """Does DRF authenticate this request by its token (an API path, a ``Token`` header)?"""
    if not request.path_info.startswith(API_PREFIX):
        return False
    header = request.META.get("HTTP_AUTHORIZATION", "")
    keyword = header.split(" ", 1)[0].encode("latin-1", errors="replace")
    return keyword.lower() == TOKEN_KEYWORD


class ApiHandler(BaseHandler):
    """Django's request handling (URL resolution, view middleware, template responses,
    exceptions) with ``API_MIDDLEWARE`` as its middleware list."""

    def load_middleware(self, is_async=False):
        web = settings.MIDDLEWARE
        # Read by BaseHandler.load_middleware only; set back before any request is served.
        settings.MIDDLEWARE = settings.API_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = web


class ApiBranchMiddleware:
    """First in ``MIDDLEWARE``: token requests under ``/api/`` go through the API's chain,
    everything else through the rest of ``MIDDLEWARE``."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.api = ApiHandler()
        self.api.load_middleware()

    def __call__(self, request):
        if is_token_api_request(request):
            # The chain itself: the outer handler already sets the URL conf, closes the
            # request and logs the response.
            return self.api._middleware_chain(request)  # type: ignore[attr-defined]
        return self.get_response(request)
