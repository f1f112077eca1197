"""Helpers for driving the heartbeat endpoint over HTTP with the server clock under
time-machine's control (no other mocking): a ``Clock`` that moves in whole scripted
seconds, and ``Tab`` — one page load of a lesson, with its session uuid and seq."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.test import Client

from exams.tracking.beat_token import beat_token_for

URL = "/api/exams/heartbeats/"

_shared: list[Client] = []


def shared_client() -> Client:
    """One test client for every tab: a beat carries no cookie, and making a client per
    tab (its handler loads the middleware again) is what makes hundreds of tabs slow."""
    if not _shared:
        _shared.append(Client(enforce_csrf_checks=True))
    return _shared[0]


class Clock:
    """The server clock, frozen (``tick=False``) and moved to scripted seconds since the
    start of the scenario."""

    def __init__(self, traveller, start):
        self.traveller = traveller
        self.start = start
        self.t = 0.0

    def to(self, t: float) -> None:
        assert t >= self.t, "scripts move the clock forward"
        if t > self.t:
            self.traveller.shift(timedelta(seconds=t - self.t))
            self.t = t


def post(body, *, content_type="application/json", client=None, raw=False):
    client = client or shared_client()
    data = body if raw else json.dumps(body, allow_nan=True)
    return client.post(URL, data=data, content_type=content_type)


@dataclass
class Tab:
    """One page load of ``lesson`` by ``user``: a session uuid and its beats."""

    user: object
    lesson: object
    session: str = field(default_factory=lambda: str(uuid.uuid4()))
    seq: int = -1
    token: str | None = None
    client: Client = field(default_factory=shared_client)

    def __post_init__(self):
        if self.token is None:
            self.token = beat_token_for(user_id=self.user.pk, lesson_id=self.lesson.pk)

    def body(self, *, seq=None, played=None, playing=True, visible=True, event="tick", **over):
        body = {
            "token": self.token,
            "lesson": self.lesson.pk,
            "session": self.session,
            "seq": self.seq if seq is None else seq,
            "from": played[0] if played else None,
            "to": played[1] if played else None,
            "rate": 1,
            "event": event,
            "position": played[1] if played else None,
            "playing": playing,
            "visible": visible,
            "client_time": 1_772_416_800_000,
        }
        body.update(over)
        return body

    def beat(self, *, seq=None, expect=200, **kwargs):
        """Send the next beat (or ``seq``); returns the JSON answer."""
        if seq is None:
            self.seq += 1
        body = self.body(seq=seq, **kwargs)
        response = post(body, client=self.client)
        assert response.status_code == expect, (response.status_code, response.content)
        return response.json()

    def open(self, **kwargs):
        """The first beat of the page load (``play``; credits nothing)."""
        kwargs.setdefault("playing", False)
        kwargs.setdefault("event", "play")
        return self.beat(**kwargs)
