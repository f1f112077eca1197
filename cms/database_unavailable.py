"""Answer 503 with a retry hint, not 500, when the database connection is lost or refused.

A view that loses its connection (the server restarted, a fail-over, the backend
terminated, a connection refused) raises ``OperationalError`` or ``InterfaceError``. That
is the operator's outage, not a bug in the page: the member is told to try again in a
few seconds, and the broken connection is closed so that the next request reconnects.
Any other error, including SQLite's "database is locked" and PostgreSQL's serialization
failures or deadlocks (which leave the connection alive), still goes to the 500 handler.
"""

import logging
import sys

from django.db import InterfaceError, OperationalError, connections
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.views import defaults

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5

# SQLSTATE classes that mean the session itself is gone: 08 connection exception; 57P01-3
# administrator or crash shutdown, server starting up.
_CONNECTION_SQLSTATE_PREFIXES = ("08", "57P01", "57P02", "57P03")


def connection_lost(exception: BaseException) -> bool:
    """Whether ``exception`` says that the database connection is lost or refused."""
    if not isinstance(exception, (OperationalError, InterfaceError)):
        return False
    cause = exception.__cause__
    if not hasattr(cause, "sqlstate"):
        # Not from psycopg: SQLite's errors ("database is locked") are not outages.
        return False
    sqlstate = cause.sqlstate
    if sqlstate is not None:
        return sqlstate.startswith(_CONNECTION_SQLSTATE_PREFIXES)
    if isinstance(exception, InterfaceError):
        # Also raised for a misused cursor: an outage only if a connection is gone.
        return _a_connection_is_gone()
    # libpq's own errors (refused, server closed the connection, lost) carry no state.
    return True


def _a_connection_is_gone() -> bool:
    for conn in connections.all(initialized_only=True):
        raw = conn.connection
        if raw is not None and (getattr(raw, "closed", False) or getattr(raw, "broken", False)):
            return True
    return False


def _close_broken_connections() -> None:
    # Closed now, not at the end of the request, so that what still runs (the session
    # saved on the way out, the next request on this thread) opens a new connection. The
    # transaction the server lost was rolled back by the server; Django's atomic() has
    # already given up on it.
    for conn in connections.all(initialized_only=True):
        conn.close_if_unusable_or_obsolete()


class DatabaseUnavailableMiddleware:
    """Turns a lost database connection in a view into a 503 with ``Retry-After``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not connection_lost(exception):
            return None
        return unavailable_response(request, exception)


def server_error(request, *args, **kwargs):
    """``handler500``: a lost connection met outside a view (a middleware on the way out:
    the session saved after the view) is an outage too; anything else is Django's 500."""
    exception = sys.exc_info()[1]
    if exception is not None and connection_lost(exception):
        return unavailable_response(request, exception)
    return defaults.server_error(request, *args, **kwargs)


def unavailable_response(request, exception: BaseException) -> HttpResponse:
    """503 with ``Retry-After``: the API's error shape under /api/, else the 503 page."""
    logger.warning("database unavailable during %s %s: %s", request.method, request.path, exception)
    _close_broken_connections()
    message = _("The service is briefly unavailable. Please try again in a few seconds.")
    if request.path_info.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=503)
    else:
        body = loader.get_template("503.html").render({"message": message})
        response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
