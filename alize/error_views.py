"""Error handlers. A database or Redis outage answers 503, anything else 500; an unknown
address under ``/api/`` answers the API's JSON error shape, elsewhere the platform's page.

Both pages are rendered without the request, so no context processor runs and nothing
queries the database that may be the cause of the error.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults
from django.views.decorators.csrf import requires_csrf_token
from redis.exceptions import ConnectionError as RedisConnectionError
from rest_framework.exceptions import NotFound

from alize.api.exceptions import error_body

OUTAGE_ERRORS = (OperationalError, InterfaceError, RedisConnectionError)
RETRY_AFTER_SECONDS = 30


def outage_response() -> HttpResponse:
    """The short 503 page shown while the database (or Redis) cannot be reached."""
    response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@requires_csrf_token
def server_error(request):
    """``handler500``: Django calls it while handling the exception, so it can be inspected."""
    if isinstance(sys.exc_info()[1], OUTAGE_ERRORS):
        return outage_response()
    return HttpResponse(loader.get_template("500.html").render(), status=500)


def not_found(request, exception):
    """``handler404``: API clients get JSON in the one error shape, people the 404 page."""
    if request.path.startswith("/api/"):
        body = error_body(message=str(NotFound.default_detail), code=NotFound.default_code)
        return JsonResponse(body, status=404)
    return defaults.page_not_found(request, exception)
