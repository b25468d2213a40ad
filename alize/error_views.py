"""Server error handler: a database or Redis outage answers 503, anything else 500.

Both pages are rendered without the request, so no context processor runs and nothing
queries the database that may be the cause of the error.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token
from redis.exceptions import ConnectionError as RedisConnectionError

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
