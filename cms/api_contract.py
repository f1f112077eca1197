"""What every app's API shares: the one error shape, the error answers each operation
documents, and JSON fields that take JSON's types strictly (DRF's own accept "3" for 3
and 1 for true).

Every refusal of the API is ``{"detail": message, "errors": {field: [messages]}}``
(``errors`` only for a request that fails validation): the views that answer by hand use
it, ``api_exception_handler`` turns DRF's own refusals into it, and
``cms.database_unavailable`` answers a lost database with it. ``cms.api_schema`` documents
the answers that apply to every operation from the view itself (see
``common_error_codes``); a view declares only the ones particular to it, with
``error_answers(409)``.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.urls import register_converter
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse
from rest_framework import parsers, serializers
from rest_framework.exceptions import ParseError
from rest_framework.views import exception_handler


class ErrorSerializer(serializers.Serializer):
    """``{"detail": message, "errors": {field: [messages]}}`` — ``detail`` is translated
    for the user; ``errors`` is present for a request that fails validation."""

    detail = serializers.CharField()
    errors = serializers.DictField(required=False)


#: What each error status means, as the schema says it (the detail says it to the user).
ERROR_DESCRIPTIONS = {
    400: _("The request is not valid: a parameter or the body breaks the documented rules."),
    401: _("Not signed in."),
    403: _("Not signed in, not allowed, or the CSRF token is missing or wrong."),
    404: _("There is no such object, or it is not within your scope."),
    405: _("This method is not allowed here."),
    409: _("The request conflicts with the object's state; the detail says why."),
    415: _("The body is not of a documented media type."),
    429: _("Too many requests: try again after Retry-After seconds."),
    503: _("The service is briefly unavailable: try again after Retry-After seconds."),
}

#: Statuses whose answer carries ``Retry-After`` (seconds).
RETRY_AFTER_CODES = (429, 503)


def error_answers(*codes: int) -> dict[int, OpenApiResponse]:
    """The schema's answers for these error statuses, each in the one error shape: for a
    view's ``@extend_schema(responses={200: Out, **error_answers(409)})``."""
    return {
        code: OpenApiResponse(response=ErrorSerializer, description=ERROR_DESCRIPTIONS[code])
        for code in codes
    }


def first_error(errors: Any) -> str:
    """The first message of DRF's nested errors, with its field's name in front."""
    if isinstance(errors, dict):
        for name, value in errors.items():
            message = first_error(value)
            return message if name == "non_field_errors" else f"{name}: {message}"
        return ""
    if isinstance(errors, list):
        for item in errors:
            message = first_error(item)
            if message:
                return message
        return ""
    return str(errors)


def api_exception_handler(exc: Exception, context: dict) -> Any:
    """DRF's handler, answering in the one error shape: a ``ValidationError`` raised by
    a view (``{"ids": ["…"]}`` or ``["…"]``) becomes ``{"detail": "ids: …", "errors":
    {"ids": ["…"]}}``; ``{"detail": …}`` answers stay as they are."""
    response = exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, dict) and set(data) <= {"detail", "errors"} and "detail" in data:
        return response
    errors = data if isinstance(data, dict) else {"non_field_errors": data}
    response.data = {"detail": first_error(errors), "errors": errors}
    return response


class ObjectIdConverter:
    """``<id:quiz_id>``: an object's id, 0 to 10^18 − 1 (at most 18 digits), as the
    schema says (``SPECTACULAR_SETTINGS["PATH_CONVERTER_OVERRIDES"]``). Django's ``int``
    takes any number of digits, and an id past the database's 64 bits made SQLite raise
    ``OverflowError``: a 500. A longer one matches no URL: ``api_not_found``'s 404."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int | str) -> str:
        return str(value)


register_converter(ObjectIdConverter, "id")


@csrf_exempt  # it changes nothing; a POST without the token gets the same 404
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """The 404 of an /api/ path that names no endpoint (an id the URL's converter does
    not take, say ``/api/v1/quizzes/-1/attempts/``): in the one error shape, as JSON, not
    the site's HTML page."""
    return JsonResponse({"detail": gettext("There is no such API endpoint.")}, status=404)


class SmallJSONParser(parsers.JSONParser):
    """JSON of at most ``max_bytes``; a body too large, not JSON or nested too deep for
    the parser is a translated 400 like any other bad body, never a 500 (DRF's own parser
    lets ``RecursionError`` through)."""

    max_bytes = 64 * 1024

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read(self.max_bytes + 1) if stream is not None else b""
        if len(raw) > self.max_bytes:
            raise ParseError(gettext("The request is too large."))
        try:
            return json.loads(raw.decode(settings.DEFAULT_CHARSET) or "null")
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise ParseError(gettext("The request is not valid JSON.")) from None


class StrictIntegerField(serializers.IntegerField):
    """An integer that is a JSON number, not a string or a boolean or 1.5."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """A JSON ``true`` or ``false``, not 1, "yes" or "on"."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data
