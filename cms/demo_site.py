"""The demo (``bin/demo``, DEBUG on) served as production serves: fingerprinted, compressed
static files and the project's own 404 page.

With DEBUG on, Django links unhashed static names and answers a 404 with its debug page,
which lists every URL pattern; ``cms.settings.dev`` uses the two classes below instead.
Production (DEBUG off) needs neither.
"""

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import get_resolver
from whitenoise.storage import CompressedManifestStaticFilesStorage


class FingerprintedStaticStorage(CompressedManifestStaticFilesStorage):
    """Hashed URLs even with DEBUG on, so the demo's pages link the files WhiteNoise
    serves compressed and long-cached, as in production (run ``collectstatic`` first)."""

    def url(self, name: str | None, force: bool = False) -> str:
        return super().url(name, force=True)


class NotFoundPageMiddleware:
    """With DEBUG on, a 404 is the project's page (``templates/404.html``, translated),
    never Django's debug page: a view's ``Http404`` through ``process_exception``, a path
    no URL pattern matches when the response comes back without a resolved view."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            settings.DEBUG
            and response.status_code == 404
            and getattr(request, "resolver_match", None) is None
        ):
            return self._page(request, Http404())
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if settings.DEBUG and isinstance(exception, Http404):
            return self._page(request, exception)
        return None

    @staticmethod
    def _page(request: HttpRequest, exception: Exception) -> HttpResponse:
        # the project's handler404 if it sets one, else Django's page_not_found (404.html)
        return get_resolver().resolve_error_handler(404)(request, exception)
