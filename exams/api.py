"""The exams API: heartbeats, player preferences and a trivial ping."""

import json

from django.utils.translation import gettext as _
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.utils import extend_schema
from rest_framework import parsers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import ParseError
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors, services
from .serializers import (
    HeartbeatInputSerializer,
    HeartbeatOutputSerializer,
    PingOutputSerializer,
    PreferencesSerializer,
)


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
