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

from django.urls import reverse
from django.utils import translation

from cms.middleware import chosen_language

from .api import beat_with_token


class HeartbeatShortcutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self._path: str | None = None

    def __call__(self, request):
        if request.method == "POST":
            if self._path is None:
                self._path = reverse("exams_api:heartbeats")
            if request.path == self._path:
                with translation.override(chosen_language(request)):
                    response = beat_with_token(request)
                if response is not None:
                    return response
        return self.get_response(request)
