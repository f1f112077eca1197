"""The exams API: heartbeats, player preferences and a trivial ping."""

import json
import math
import uuid

from django.http import HttpResponse, HttpResponseNotAllowed
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.utils import extend_schema
from rest_framework import parsers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import ParseError
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors, services
from .beat_token import beat_token_check
from .models import WatchBeat
from .serializers import (
    MAX_MEDIA_SECONDS,
    MAX_SEQ,
    HeartbeatInputSerializer,
    HeartbeatOutputSerializer,
    PingOutputSerializer,
    PreferencesSerializer,
)
from .services.heartbeat import BeatInput


class BeaconParser(parsers.JSONParser):
    """``navigator.sendBeacon`` posts the JSON beat as ``text/plain``."""

    media_type = "text/plain"


class BeaconSessionAuthentication(SessionAuthentication):
    """Session auth whose CSRF token may also come in the body field ``csrf`` (sendBeacon
    cannot set the ``X-CSRFToken`` header)."""

    def enforce_csrf(self, request):
        if "HTTP_X_CSRFTOKEN" not in request.META:
            try:
                body = json.loads(request._request.body or b"{}")
            except (ValueError, UnicodeDecodeError):
                body = None
            if isinstance(body, dict) and isinstance(body.get("csrf"), str):
                request.META["HTTP_X_CSRFTOKEN"] = body["csrf"]
        return super().enforce_csrf(request)


class BeaconSessionScheme(SessionScheme):
    """OpenAPI: the beacon variant is documented as plain cookie (session) auth."""

    target_class = BeaconSessionAuthentication
    name = "beaconCookieAuth"


def _first_error(errors) -> str:
    if isinstance(errors, dict):
        for name, value in errors.items():
            message = _first_error(value)
            return message if name == "non_field_errors" else f"{name}: {message}"
    if isinstance(errors, list) and errors:
        return _first_error(errors[0])
    return str(errors)


class HeartbeatApi(APIView):
    authentication_classes = [BeaconSessionAuthentication]
    parser_classes = [parsers.JSONParser, BeaconParser]

    @extend_schema(request=HeartbeatInputSerializer, responses=HeartbeatOutputSerializer)
    def post(self, request):
        try:
            data = request.data
        except ParseError:
            return Response({"detail": _("The beat is not valid JSON.")}, status=400)
        if not isinstance(data, dict):
            return Response({"detail": _("The beat must be a JSON object.")}, status=400)
        serializer = HeartbeatInputSerializer(data=data)
        if not serializer.is_valid():
            return Response(
                {"detail": _first_error(serializer.errors), "errors": serializer.errors},
                status=status.HTTP_400_BAD_REQUEST,
            )
        payload = dict(serializer.validated_data)
        lesson_id = payload.pop("lesson")
        try:
            result = services.heartbeat_record(
                user=request.user, lesson_id=lesson_id, payload=payload
            )
        except services.HeartbeatRefused as refused:
            return Response({"detail": refused.detail}, status=refused.status)
        return Response(HeartbeatOutputSerializer(result).data)


# --- the beat-token path: a plain Django view ---------------------------------------
#
# The hot path of the platform. A beat that carries the lesson page's beat token
# (``exams.beat_token``) is authenticated by that token alone: no session row, no user
# row, no DRF. It is CSRF-exempt on purpose and soundly so: CSRF abuses *ambient*
# authority (cookies the browser attaches by itself to a forged cross-site request); the
# token is not ambient — it travels in the body, and a page of another origin cannot read
# it from ours — so a request bearing it was made by our own page. Nothing on this path
# touches ``request.user`` or ``request.session`` (both lazy), so the middleware reads
# neither; see tests/exams/test_beat_token.py for the query count.
# A beat without a token takes the former path (``HeartbeatApi``: session cookie + CSRF).

_EVENTS = frozenset(WatchBeat.Event.values)


class _Invalid(Exception):
    def __init__(self, name: str | None, message: str) -> None:
        self.name, self.message = name, message


def _integer(data: dict, name: str, low: int, high: int, *, null: bool = False):
    if name not in data:
        if null:
            return None
        raise _Invalid(name, _("This field is required."))
    value = data[name]
    if value is None and null:
        return None
    if type(value) is not int:
        if value is None:
            raise _Invalid(name, _("This field may not be null."))
        raise _Invalid(name, _("A valid integer is required."))
    if value < low:
        raise _Invalid(name, _("Ensure this value is greater than or equal to %s.") % low)
    if value > high:
        raise _Invalid(name, _("Ensure this value is less than or equal to %s.") % high)
    return value


def _number(data: dict, name: str, low: float, high: float, *, null: bool = True, default=None):
    value = data.get(name, default)
    if value is None:
        if null or name not in data:
            return default
        raise _Invalid(name, _("This field may not be null."))
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _Invalid(name, _("A valid number is required."))
    try:
        value = float(value)
    except (TypeError, ValueError, OverflowError):
        raise _Invalid(name, _("A valid number is required.")) from None
    if not math.isfinite(value):
        raise _Invalid(name, _("Must be a finite number."))
    if value < low:
        raise _Invalid(name, _("Ensure this value is greater than or equal to %s.") % low)
    if value > high:
        raise _Invalid(name, _("Ensure this value is less than or equal to %s.") % high)
    return value


def _boolean(data: dict, name: str) -> bool:
    if name not in data:
        raise _Invalid(name, _("This field is required."))
    value = data[name]
    if type(value) is not bool:
        if value is None:
            raise _Invalid(name, _("This field may not be null."))
        raise _Invalid(name, _("Must be a valid boolean."))
    return value


def beat_validate(data: dict) -> tuple[int, BeatInput]:
    """The lesson id and the beat, validated as ``HeartbeatInputSerializer`` does (same
    rules, same translated messages), in plain code. Raises ``_Invalid``."""
    lesson = _integer(data, "lesson", 1, MAX_SEQ)
    if "session" not in data:
        raise _Invalid("session", _("This field is required."))
    session = data["session"]
    try:
        if not isinstance(session, str):
            raise ValueError
        session = uuid.UUID(session)
    except ValueError:
        raise _Invalid("session", _("Must be a valid UUID.")) from None
    seq = _integer(data, "seq", 0, MAX_SEQ)
    to = _number(data, "to", 0, MAX_MEDIA_SECONDS)
    rate = _number(data, "rate", 0.0625, 16, null=False, default=1.0)
    if "event" not in data:
        raise _Invalid("event", _("This field is required."))
    event = data["event"]
    if not isinstance(event, str) or event not in _EVENTS:
        raise _Invalid("event", _('"%s" is not a valid choice.') % (event,))
    position = _number(data, "position", 0, MAX_MEDIA_SECONDS)
    playing = _boolean(data, "playing")
    visible = _boolean(data, "visible")
    client_time = _integer(data, "client_time", 0, 2**53, null=True)
    start = _number(data, "from", 0, MAX_MEDIA_SECONDS)
    if (start is None) != (to is None):
        raise _Invalid(None, _("Send both 'from' and 'to', or neither."))
    if start is not None and to < start:
        raise _Invalid(None, _("'to' must not be before 'from'."))
    beat = BeatInput(
        session=session,
        seq=seq,
        event=event,
        playing=playing,
        visible=visible,
        from_seconds=start,
        to_seconds=to,
        rate=rate,
        position=position,
        client_time=client_time,
    )
    return lesson, beat


def _json_response(data: dict, status: int = 200) -> HttpResponse:
    return HttpResponse(json.dumps(data), status=status, content_type="application/json")


_heartbeat_session_view = None


def _session_fallback(request):
    global _heartbeat_session_view
    if _heartbeat_session_view is None:
        _heartbeat_session_view = HeartbeatApi.as_view()
    return _heartbeat_session_view(request)


def beat_with_token(request) -> HttpResponse | None:
    """The answer to a POSTed beat that carries a beat token; None for one without (which
    takes the session cookie + CSRF path). Reads neither ``request.user`` nor
    ``request.session``, so it needs no middleware (see ``exams.middleware``)."""
    try:
        data = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict) or "token" not in data:
        return None
    claim = beat_token_check(data["token"])
    if claim is None:
        return _json_response({"detail": _("This beat token is not valid.")}, status=403)
    user_id, token_lesson = claim
    try:
        lesson_id, beat = beat_validate(data)
    except _Invalid as invalid:
        message = invalid.message if invalid.name is None else f"{invalid.name}: {invalid.message}"
        errors = {invalid.name or "non_field_errors": [invalid.message]}
        return _json_response({"detail": message, "errors": errors}, status=400)
    if lesson_id != token_lesson:
        return _json_response({"detail": _("This beat token is for another lesson.")}, status=403)
    try:
        result = services.heartbeat_record(user=user_id, lesson_id=lesson_id, payload=beat)
    except services.HeartbeatRefused as refused:
        return _json_response({"detail": refused.detail}, status=refused.status)
    return _json_response(
        {
            "coverage": float(result.coverage),
            "coverage_ratio": float(result.coverage_ratio),
            "engaged_seconds": float(result.engaged_seconds),
            "completed": bool(result.completed),
            "resume_position": float(result.resume_position),
        }
    )


@csrf_exempt  # sound: see above — the beat token is not ambient authority
def heartbeat_view(request):
    """``POST /api/exams/heartbeats/``: one beat (docs/heartbeat_contract.md). Beats with
    a token usually never get here: ``exams.middleware`` answers them earlier."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    response = beat_with_token(request)
    if response is None:
        return _session_fallback(request)  # no token: session cookie + CSRF, as before
    return response


# OpenAPI: drf-spectacular documents the endpoint from the DRF view it falls back to.
heartbeat_view.cls = HeartbeatApi
heartbeat_view.initkwargs = {}


class PreferencesApi(APIView):
    @extend_schema(responses=PreferencesSerializer)
    def get(self, request):
        prefs = selectors.member_preferences(user=request.user)
        return Response(PreferencesSerializer(prefs).data)

    @extend_schema(request=PreferencesSerializer, responses=PreferencesSerializer)
    def patch(self, request):
        serializer = PreferencesSerializer(data=request.data)
        if not serializer.is_valid():
            return Response(
                {"detail": _first_error(serializer.errors), "errors": serializer.errors},
                status=400,
            )
        services.preferences_update(user=request.user, **serializer.validated_data)
        prefs = selectors.member_preferences(user=request.user)
        return Response(PreferencesSerializer(prefs).data)


class PingApi(APIView):
    """A trivial authenticated endpoint: the bench's reference, and a health check."""

    @extend_schema(responses=PingOutputSerializer)
    def get(self, request):
        return Response({"ok": True})
