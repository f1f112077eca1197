"""How drf-spectacular documents our API (settings: ``REST_FRAMEWORK`` and
``SPECTACULAR_SETTINGS`` in ``cms.settings.base``).

Each operation documents, besides its own answers, every error answer it can give, in
the one error shape (``cms.api_contract``), worked out from the view rather than repeated
in each ``@extend_schema``: a view declares only what is particular to it (a 409, or a
403 of its own where it has no permission classes).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from .api_contract import RETRY_AFTER_CODES, error_answers


def only_platform_api(endpoints):
    """drf-spectacular hook: document the endpoints under /api/ only."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/")]


def _retry_after(code: int) -> OpenApiParameter:
    return OpenApiParameter(
        "Retry-After",
        OpenApiTypes.INT,
        OpenApiParameter.HEADER,
        required=True,
        description=_("Seconds to wait before trying again."),
        response=[code],
    )


class PlatformAutoSchema(AutoSchema):
    """drf-spectacular's schema of a view, with the error answers common to the API.

    A view whose optional query parameters may be sent empty (``?year=``, read as not
    sent, as Django forms do) says so with ``blank_query_is_absent = True``; the schema
    then allows the empty value (``allowEmptyValue``).
    """

    def common_error_codes(self) -> set[int]:
        """The error statuses this operation can answer whatever the view says:

        - 400 where there is a body or a query parameter to break;
        - 401 where an authenticator asks for credentials (``WWW-Authenticate``), else
          403 for a user not signed in (session authentication) or not allowed, and for
          an unsafe method without the CSRF token;
        - 404 where the path names an object (out of scope is 404 too);
        - 415 where there is a body, sent as a media type no parser reads;
        - 429 where the view is throttled;
        - 503 everywhere: a lost database connection (``cms.database_unavailable``).
        """
        view = self.view
        codes = {503}
        has_body = self.method in ("POST", "PUT", "PATCH") and bool(view.parser_classes)
        if has_body:
            codes.add(415)
        if has_body or any(p["in"] == "query" for p in self._get_parameters()):
            codes.add(400)
        if "{" in self.path:
            codes.add(404)
        authenticators = view.get_authenticators()
        if any(a.authenticate_header(view.request) for a in authenticators):
            codes.add(401)
        if authenticators or view.get_permissions():
            codes.add(403)
        if view.get_throttles():
            codes.add(429)
        return codes

    def _get_parameters(self) -> list[dict[str, Any]]:
        parameters = super()._get_parameters()
        if getattr(self.view, "blank_query_is_absent", False):
            for parameter in parameters:
                if parameter["in"] == "query" and not parameter.get("required"):
                    parameter["allowEmptyValue"] = True
        return parameters

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        # Here, not in get_response_serializers: @extend_schema(responses=…) replaces that.
        responses = super()._get_response_bodies(direction)
        for code, answer in error_answers(*self.common_error_codes()).items():
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(answer, str(code))
        return dict(sorted(responses.items()))

    def get_override_parameters(self) -> list:
        return [*super().get_override_parameters(), *map(_retry_after, RETRY_AFTER_CODES)]
