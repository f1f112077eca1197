"""The beat validator in the request path (``validation.beat_validate``) gives the same
answers as the serializer that documents the body in the OpenAPI schema."""

import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exams.tracking.serializers import MAX_MEDIA_SECONDS, HeartbeatInputSerializer
from exams.tracking.validation import BeatInvalid, beat_validate

ABSENT = object()

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**60), max_value=2**60),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["1.5", "nan", "inf", "", " 3 ", "tick", "1e308", "0x10"]),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
media = st.one_of(
    st.floats(min_value=-10, max_value=MAX_MEDIA_SECONDS + 10, allow_nan=False),
    st.integers(min_value=-10, max_value=int(MAX_MEDIA_SECONDS) + 10),
)


def field(valid):
    return st.one_of(valid, valid, st.just(ABSENT), junk)


bodies = st.fixed_dictionaries(
    {
        "token": st.just("a-token"),
        "lesson": field(st.integers(min_value=-1, max_value=2**31)),
        "session": field(st.one_of(st.uuids().map(str), st.integers(min_value=-1))),
        "seq": field(st.integers(min_value=-1, max_value=2**31)),
        "from": field(media),
        "to": field(media),
        "rate": field(st.floats(min_value=0.01, max_value=20, allow_nan=False)),
        "event": field(st.sampled_from(["tick", "play", "pause", "seek", "ended", "hidden", "x"])),
        "position": field(media),
        "playing": field(st.booleans()),
        "visible": field(st.booleans()),
        "client_time": field(st.integers(min_value=-1, max_value=2**53 + 1)),
    }
).map(lambda body: {key: value for key, value in body.items() if value is not ABSENT})


def serializer_answer(body):
    serializer = HeartbeatInputSerializer(data=body)
    if serializer.is_valid():
        return "valid", dict(serializer.validated_data)
    return "invalid", {key: [str(m) for m in value] for key, value in serializer.errors.items()}


def validator_answer(body):
    try:
        return "valid", beat_validate(body)
    except BeatInvalid as invalid:
        return "invalid", invalid.errors


@settings(max_examples=600, deadline=None)
@given(body=bodies)
def test_the_validator_and_the_documented_serializer_agree(body):
    assert validator_answer(body) == serializer_answer(body)


@pytest.mark.parametrize(
    "change, field",
    [
        ({"seq": "3"}, "seq"),  # a string is not an integer
        ({"playing": 1}, "playing"),  # nor is 1 a boolean
        ({"to": float("nan"), "from": 0}, "to"),
        ({"rate": None}, "rate"),
        ({"session": "not-a-uuid"}, "session"),
        ({"event": "rewind"}, "event"),
        ({"lesson": 0}, "lesson"),
        ({"client_time": -1}, "client_time"),
    ],
)
def test_each_broken_field_is_named(change, field):
    body = {
        "lesson": 1,
        "session": str(uuid.uuid4()),
        "seq": 1,
        "event": "tick",
        "playing": True,
        "visible": True,
        **change,
    }
    with pytest.raises(BeatInvalid) as refused:
        beat_validate(body)
    assert list(refused.value.errors) == [field]


def test_from_without_to_and_backwards_intervals_are_refused():
    base = {"lesson": 1, "session": str(uuid.uuid4()), "seq": 1, "event": "tick"}
    base |= {"playing": True, "visible": True}
    for extra in ({"from": 1.0}, {"from": 5.0, "to": 4.0}):
        with pytest.raises(BeatInvalid) as refused:
            beat_validate(base | extra)
        assert list(refused.value.errors) == ["non_field_errors"]
    assert beat_validate(base)["rate"] == 1.0
