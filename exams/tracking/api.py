"""The tracking API: heartbeats, player preferences and a trivial ping."""

from __future__ import annotations

import json

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.response import Response
from rest_framework.views import APIView

from cms.api_contract import SmallJSONParser, error_answers, first_error

from . import selectors, services
from .beat_token import beat_token_check
from .serializers import (
    HeartbeatInputSerializer,
    HeartbeatOutputSerializer,
    PingOutputSerializer,
    PreferencesSerializer,
)
from .validation import BeatInvalid, beat_validate

# A beat is a few hundred bytes; anything much larger is not a beat.
MAX_BEAT_BYTES = 4096


class BeatJSONParser(parsers.JSONParser):
    """JSON of at most ``MAX_BEAT_BYTES``; nesting too deep for the parser is a 400 like
    any other bad body, never a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read(MAX_BEAT_BYTES + 1) if stream is not None else b""
        if len(raw) > MAX_BEAT_BYTES:
            raise ParseError(_("The beat is too large."))
        try:
            return json.loads(raw.decode(settings.DEFAULT_CHARSET) or "null")
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise ParseError(_("The beat is not valid JSON.")) from None


class BeaconParser(BeatJSONParser):
    """``navigator.sendBeacon`` posts the JSON beat as ``text/plain``."""

    media_type = "text/plain"


def _refused(detail: str, status: int, errors: dict | None = None) -> Response:
    body = {"detail": detail}
    if errors is not None:
        body["errors"] = errors
    return Response(body, status=status)


class HeartbeatApi(APIView):
    """``POST /api/exams/heartbeats/``: one beat (docs/heartbeat_contract.md).

    Authenticated by the lesson page's beat token in the body, not by cookies, so no
    CSRF check is needed: a page of another origin cannot read the token (see
    ``beat_token``). One validator (``validation.beat_validate``; the serializer documents
    the body in the schema), one service.
    """

    authentication_classes: list = []
    permission_classes: list = []
    parser_classes = [BeatJSONParser, BeaconParser]

    @extend_schema(
        request=HeartbeatInputSerializer,
        # 403: the token (no permission classes here to document it); 404: a lesson the
        # member may not be credited for; 409: a beat racing another.
        responses={200: HeartbeatOutputSerializer, **error_answers(403, 404, 409)},
        auth=[],
    )
    def post(self, request):
        try:
            data = request.data
        except ParseError as error:
            return _refused(str(error.detail), 400)
        if not isinstance(data, dict):
            return _refused(_("The beat must be a JSON object."), 400)
        claim = beat_token_check(data.get("token"))
        if claim is None:
            return _refused(_("This beat token is not valid."), 403)
        try:
            payload = beat_validate(data)
        except BeatInvalid as invalid:
            return _refused(first_error(invalid.errors), 400, invalid.errors)
        user_id, token_lesson = claim
        lesson_id = payload.pop("lesson")
        if lesson_id != token_lesson:
            return _refused(_("This beat token is for another lesson."), 403)
        beat = services.BeatInput(
            session=payload["session"],
            seq=payload["seq"],
            event=payload["event"],
            playing=payload["playing"],
            visible=payload["visible"],
            from_seconds=payload.get("from"),
            to_seconds=payload.get("to"),
            rate=payload.get("rate", 1.0),
            position=payload.get("position"),
            client_time=payload.get("client_time"),
        )
        try:
            result = services.heartbeat_record(user_id=user_id, lesson_id=lesson_id, beat=beat)
        except services.HeartbeatRefused as refused:
            return _refused(refused.detail, refused.status)
        return Response(HeartbeatOutputSerializer(result).data)


class PreferencesApi(APIView):
    """``GET``/``PATCH /api/exams/preferences/``: the member's player preferences.

    JSON only (the player sends JSON): a form's "true" or "on" is not a JSON boolean, so
    the form media types are not offered (and not documented) at all. A PATCH changes
    the fields it sends and leaves the others."""

    parser_classes = [SmallJSONParser]

    @extend_schema(responses={200: PreferencesSerializer})
    def get(self, request):
        prefs = selectors.member_preferences(user=request.user)
        return Response(PreferencesSerializer(prefs).data)

    @extend_schema(request=PreferencesSerializer, responses={200: PreferencesSerializer})
    def patch(self, request):
        try:
            data = request.data
        except ParseError as error:
            return _refused(str(error.detail), 400)
        if not isinstance(data, dict):
            return _refused(_("The request body must be a JSON object."), 400)
        serializer = PreferencesSerializer(data=data, partial=True)
        if not serializer.is_valid():
            return _refused(first_error(serializer.errors), 400, serializer.errors)
        if serializer.validated_data:
            services.preferences_update(user=request.user, **serializer.validated_data)
        prefs = selectors.member_preferences(user=request.user)
        return Response(PreferencesSerializer(prefs).data)


class PingApi(APIView):
    """A trivial authenticated endpoint: the bench's reference, and a health check."""

    @extend_schema(responses={200: PingOutputSerializer})
    def get(self, request):
        return Response({"ok": True})
