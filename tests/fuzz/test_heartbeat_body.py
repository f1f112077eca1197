"""Fuzzing the heartbeat's body as it arrives over HTTP (exams/tracking/api.py).

tests/exams/tracking/test_validation.py already holds ``beat_validate`` to the documented
serializer for bodies that are JSON objects with the beat's fields; it is not repeated.
The gap fuzzed here is before and around it: raw bytes in the two content types a beat
comes in (JSON, and text/plain from ``sendBeacon``), a valid beat mutated byte by byte
or truncated, JSON values of any shape, a valid token with any other fields. The answer is
200, or a 4xx with the one error shape and a message; never a 500, and a refused beat
stores nothing.
"""

import json
import uuid

import pytest
from django.test import Client
from django.utils import translation
from hypothesis import event, given, settings
from hypothesis import strategies as st

from exams.tracking.beat_token import beat_token_for
from exams.tracking.models import WatchBeat, WatchSession, WatchSummary
from tests.exams.conftest import make_course, make_video_lesson

from . import FUZZ_HEALTH, files_from

URL = "/api/exams/heartbeats/"
SESSION = str(uuid.uuid4())

json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False),
        st.text(max_size=20),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)


@pytest.fixture
def beat_world(org, member_factory):
    member = member_factory(org.branch_a, username="fuzz_member")
    lesson = make_video_lesson(make_course(), duration=600.0)
    token = beat_token_for(user_id=member.pk, lesson_id=lesson.pk)
    valid = {
        "token": token,
        "lesson": lesson.pk,
        "session": SESSION,
        "seq": 1,
        "from": 0,
        "to": 5,
        "rate": 1,
        "event": "tick",
        "position": 5,
        "playing": True,
        "visible": True,
        "client_time": 1_700_000_000_000,
    }
    return token, valid


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _stored() -> tuple[int, int, int]:
    return WatchBeat.objects.count(), WatchSession.objects.count(), WatchSummary.objects.count()


def _post_and_check(body: bytes, content_type: str) -> None:
    before = _stored()
    response = Client().post(URL, data=body, content_type=content_type)
    event(f"HTTP {response.status_code}")
    assert response.status_code in {200, 400, 403, 404, 409}, response.content
    if response.status_code != 200:
        answer = response.json()
        assert isinstance(answer["detail"], str) and answer["detail"].strip()
        assert _stored() == before


CONTENT_TYPES = st.sampled_from(
    ["application/json", "text/plain", "application/json; charset=utf-8"]
)


@settings(max_examples=300, deadline=None, suppress_health_check=FUZZ_HEALTH)
@given(data=st.data(), content_type=CONTENT_TYPES)
def test_raw_bodies_answer_200_or_a_4xx_with_a_message(beat_world, data, content_type):
    _token, valid = beat_world
    seed = json.dumps(valid).encode()
    body = data.draw(files_from([seed, json.dumps({**valid, "from": None, "to": None}).encode()]))
    _post_and_check(body, content_type)


@settings(max_examples=250, deadline=None, suppress_health_check=FUZZ_HEALTH)
@given(data=st.data(), content_type=CONTENT_TYPES)
def test_any_json_with_a_valid_token_answers_200_or_a_4xx_with_a_message(
    beat_world, data, content_type
):
    token, valid = beat_world
    shape = data.draw(st.sampled_from(["any", "fields replaced", "token only"]))
    if shape == "any":
        value = data.draw(json_values)
    elif shape == "token only":
        value = {"token": token, **data.draw(st.dictionaries(st.text(max_size=8), json_values))}
    else:
        replaced = data.draw(
            st.dictionaries(st.sampled_from(sorted(valid)), json_values, min_size=1, max_size=3)
        )
        value = {**valid, **replaced}
    _post_and_check(json.dumps(value).encode(), content_type)
