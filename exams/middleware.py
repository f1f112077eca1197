"""A shortcut through the middleware stack for heartbeats that carry a beat token.

Beats are the platform's most frequent request: every member who is watching sends one
every 15 seconds. A beat with its lesson page's beat token (``exams.beat_token``) needs
none of what the rest of the stack does — no session, no user, no CSRF check (the token
is not ambient authority), no messages, no static files — and measured under gunicorn
(``bench/heartbeats.py``), walking that stack cost a sixth of a beat's CPU. So this
middleware, placed right after ``SecurityMiddleware`` (whose HTTPS redirect and headers
still apply), answers such a beat itself, in the member's chosen language. Every other
request, including a beat without a token, goes down the stack as usual.
"""

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from cms.middleware import chosen_language

from .api import beat_with_token


class HeartbeatShortcutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self._urlconf: str | None = None
        self._path: str | None = None

    def _beat_path(self) -> str | None:
        """The endpoint's path in the URLconf in force (tests may swap it); None if the
        URLconf has no heartbeat endpoint."""
        urlconf = settings.ROOT_URLCONF
        if urlconf != self._urlconf:
            try:
                self._path = reverse("exams_api:heartbeats", urlconf=urlconf)
            except NoReverseMatch:
                self._path = None
            self._urlconf = urlconf
        return self._path

    def __call__(self, request):
        if request.method == "POST" and request.path == self._beat_path():
            with translation.override(chosen_language(request)):
                response = beat_with_token(request)
            if response is not None:
                return response
        return self.get_response(request)
