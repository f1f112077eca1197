"""A stand-in page for the player, used only by tests/e2e/test_player_harness.py.

It renders the real ``exams/includes/lecture_player.html`` over an HLS ladder made by the
test, and records the heartbeats the page sends, without the rest of the platform.
"""

import json
from types import SimpleNamespace

from django.http import HttpResponse, JsonResponse
from django.template import engines
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from django.views.static import serve

STATE: dict = {"beats": [], "prefs": {"data_saver": False}, "playback": None, "root": None}

PAGE = engines["django"].from_string(
    """{% load static lecture_player %}<!doctype html><html><head>
<link rel="stylesheet" href="{% static 'css/site.css' %}"></head><body>
{% include "exams/includes/lecture_player.html" %}{% lesson_scripts page %}</body></html>"""
)


class FakeCourse:
    allow_download = True
    specific = None


FakeCourse.specific = FakeCourse()


class FakeLesson:
    pk = 1
    lecture_video = SimpleNamespace(is_ready=True)

    @property
    def specific(self):
        return self

    def get_parent(self):
        return FakeCourse()


def page(request):
    html = PAGE.render({"page": FakeLesson(), "playback": STATE["playback"]}, request)
    return HttpResponse(html)


@csrf_exempt
def heartbeats(request):
    body = json.loads(request.body)
    if STATE.get("fail", 0) > 0:  # the next N beats meet a busy server
        STATE["fail"] -= 1
        return JsonResponse({"detail": "busy"}, status=503)
    STATE["beats"].append(body)
    return JsonResponse({"coverage": 0, "coverage_ratio": 0.5, "resume_position": 0})


@csrf_exempt
def preferences(request):
    if request.method == "PATCH":
        STATE["prefs"].update(json.loads(request.body))
    return JsonResponse(STATE["prefs"])


def media(request, path):
    return serve(request, path, document_root=STATE["root"])


api = [
    path("heartbeats/", heartbeats, name="heartbeats"),
    path("preferences/", preferences, name="preferences"),
]

urlpatterns = [
    path("lesson/", page),
    path("api/exams/", include((api, "exams_api"))),
    re_path(r"^m/(?P<path>.*)$", media),
]
