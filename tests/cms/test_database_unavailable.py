"""A database connection lost during a request → 503 with a retry hint, then recovery.

The PostgreSQL tests kill the request's own backend in the middle of the request
(``pg_terminate_backend`` from a second connection, as a server restart or a fail-over
would) after the view has written a row in its transaction, then let the view query again.
The views are this module's own URL configuration (``pytest.mark.urls``).
"""

import json
import sqlite3
import urllib.error
import urllib.request

import psycopg
import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.http import HttpResponse, JsonResponse
from django.test import Client
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from cms.database_unavailable import connection_lost

HALF_WRITTEN = "written before the connection was lost"

pytestmark = pytest.mark.urls(__name__)

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="kills the request's backend with pg_terminate_backend: PostgreSQL only",
)


def _terminate_own_backend() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    params = connection.settings_dict
    with psycopg.connect(
        dbname=params["NAME"],
        user=params.get("USER") or None,
        password=params.get("PASSWORD") or None,
        host=params.get("HOST") or None,
        port=params.get("PORT") or None,
        autocommit=True,
    ) as other:
        # With a timeout, waits until the backend has actually exited.
        other.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])


def _write_then_lose_connection() -> int:
    with transaction.atomic():
        Group.objects.create(name=HALF_WRITTEN)
        _terminate_own_backend()
        return Group.objects.count()


@csrf_exempt
def page_losing_connection(request):
    return HttpResponse(str(_write_then_lose_connection()))


class ApiLosingConnection(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    def post(self, request):
        return Response({"count": _write_then_lose_connection()})


@csrf_exempt
def page_losing_connection_before_the_session_is_saved(request):
    # The view is done with the database; the session saved on the way out is not.
    request.session["seen"] = True
    _terminate_own_backend()
    return HttpResponse("done")


def still_here(request):
    return JsonResponse({"half_written": Group.objects.filter(name=HALF_WRITTEN).count()})


def page_failing(request):
    raise RuntimeError("a bug, not an outage")


def page_violating_a_constraint(request):
    raise IntegrityError("duplicate key value violates unique constraint")


handler500 = "cms.database_unavailable.server_error"  # as cms/urls.py

urlpatterns = [
    path("lose-connection/", page_losing_connection),
    path("lose-connection-in-a-middleware/", page_losing_connection_before_the_session_is_saved),
    path("api/lose-connection/", ApiLosingConnection.as_view()),
    path("still-here/", still_here),
    path("fail/", page_failing),
    path("violate/", page_violating_a_constraint),
]


def _assert_unavailable(status: int, headers, body: bytes, *, api: bool) -> None:
    assert status == 503
    assert headers["Retry-After"] == "5"
    if api:
        assert headers["Content-Type"].startswith("application/json")
        assert json.loads(body) == {
            "detail": "The service is briefly unavailable. Please try again in a few seconds."
        }
    else:
        assert headers["Content-Type"].startswith("text/html")
        assert b"Please try again in a few seconds." in body
        assert b"Service unavailable" in body


@needs_postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("url", ["/lose-connection/", "/api/lose-connection/"])
def test_lost_connection_answers_503_and_the_next_request_works(url):
    # given a member who reads English, on one client (one thread, one connection)
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    # when the request's backend is killed after it wrote in its transaction
    response = client.post(url)

    # then 503 with a retry hint and the translated message, nothing half-written,
    # and the next request on the same thread reconnects
    _assert_unavailable(
        response.status_code, response.headers, response.content, api=url.startswith("/api/")
    )
    after = client.get("/still-here/")
    assert after.status_code == 200
    assert after.json() == {"half_written": 0}


@needs_postgresql
@pytest.mark.parametrize("url", ["/lose-connection/", "/api/lose-connection/"])
def test_lost_connection_over_http_answers_503_then_recovers(live_server, url):
    # given the live server, in English
    headers = {"Cookie": f"{settings.LANGUAGE_COOKIE_NAME}=en"}
    request = urllib.request.Request(
        f"{live_server.url}{url}", data=b"", headers=headers, method="POST"
    )

    # when the request's backend is killed mid-request
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)

    # then 503, and the next request is served normally with nothing half-written
    _assert_unavailable(
        refused.value.code, refused.value.headers, refused.value.read(), api="/api/" in url
    )
    with urllib.request.urlopen(f"{live_server.url}/still-here/", timeout=30) as after:
        assert after.status == 200
        assert after.read() == b'{"half_written": 0}'


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_connection_lost_in_a_middleware_answers_503_too():
    # given a member who reads English; the test client must not re-raise what the
    # 500 handler answers
    client = Client(raise_request_exception=False)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    # when the connection is lost after the view, as the session middleware saves
    response = client.post("/lose-connection-in-a-middleware/")

    # then 503 with the retry hint (not the 500 page), and the next request works
    _assert_unavailable(response.status_code, response.headers, response.content, api=False)
    assert client.get("/still-here/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/fail/", "/violate/"])
def test_other_errors_still_answer_500(url):
    client = Client(raise_request_exception=False)

    response = client.get(url)

    assert response.status_code == 500
    assert "Retry-After" not in response.headers


def _wrapped(django_error: type, cause: BaseException) -> BaseException:
    error = django_error(str(cause))
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    ("error", "lost"),
    [
        (_wrapped(OperationalError, psycopg.OperationalError("connection refused")), True),
        (_wrapped(OperationalError, psycopg.errors.AdminShutdown("terminating")), True),
        (_wrapped(OperationalError, psycopg.errors.ConnectionFailure("gone")), True),
        (_wrapped(OperationalError, psycopg.errors.SerializationFailure("retry")), False),
        (_wrapped(OperationalError, psycopg.errors.DeadlockDetected("deadlock")), False),
        (_wrapped(OperationalError, sqlite3.OperationalError("database is locked")), False),
        (_wrapped(IntegrityError, psycopg.errors.UniqueViolation("duplicate")), False),
        # a misused cursor, while the connection is fine
        (_wrapped(InterfaceError, psycopg.InterfaceError("the cursor is closed")), False),
        (RuntimeError("a bug"), False),
    ],
)
def test_only_a_lost_or_refused_connection_counts_as_unavailable(error, lost):
    assert connection_lost(error) is lost


def test_the_site_answers_outages_met_outside_views_through_the_500_handler():
    from django.urls import get_resolver

    from cms.database_unavailable import server_error

    assert get_resolver("cms.urls").resolve_error_handler(500) is server_error
