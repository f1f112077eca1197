"""Fuzzing the reading of ffprobe's JSON for an uploaded lecture (media_pipeline/probe.py).

ffprobe itself is not run: ``ffprobe_json`` is replaced by a function that answers what
the test drew, shaped as ffprobe's JSON (``format``, ``streams``, ``packets``) with values
of the types ffprobe writes (strings for times and rates, integers for sizes) but any
content, including what a crafted file can put in its tags. ``probe_media`` returns a
``ProbeResult`` or raises ``ProbeError`` with a message; it writes nothing (the upload
form and the transcode task, which store, act only on its answer).
"""

import math

import pytest
from django.utils import translation
from hypothesis import example, given, settings
from hypothesis import strategies as st

from media_pipeline import probe
from media_pipeline.probe import ProbeError, ProbeResult, probe_media

NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(lambda x: f"{x:f}"),
    st.floats(min_value=0, max_value=30_000).map(lambda x: f"{x:.6f}"),
    st.sampled_from(["", "0", "-1", "N/A", "nan", "inf", "1e400", "0x10", "1_0", " 2 "]),
    st.text(max_size=8),
)
RATES = st.one_of(
    st.sampled_from(["0/0", "25/1", "30000/1001", "1/0", "-25/1", "N/A", "1e9/1", "25"]),
    st.tuples(st.integers(-10, 10**9), st.integers(-10, 10**6)).map(lambda p: f"{p[0]}/{p[1]}"),
    st.text(max_size=8),
)
CONTAINERS = st.one_of(
    st.sampled_from(
        ["mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm", "mp3", "aac", "hls", "concat", "", ","]
    ),
    st.text(max_size=12),
)
SIZES = st.integers(min_value=-(2**31), max_value=2**31)
STREAM_FIELDS = {
    "codec_type": st.sampled_from(["video", "audio", "subtitle", "data", "attachment", ""]),
    "codec_name": st.one_of(st.sampled_from(["h264", "aac", "mp3", "png"]), st.text()),
    "width": SIZES,
    "height": SIZES,
    "avg_frame_rate": RATES,
    "r_frame_rate": RATES,
    "duration": NUMBERS,
    "disposition": st.fixed_dictionaries({}, optional={"attached_pic": st.integers(0, 1)}),
    "tags": st.dictionaries(
        st.sampled_from(["rotate", "title", "language"]),
        st.one_of(NUMBERS, st.text(max_size=10)),
        max_size=3,
    ),
    "side_data_list": st.lists(
        st.fixed_dictionaries({}, optional={"rotation": st.integers(-(2**31), 2**31)}),
        max_size=2,
    ),
}
STREAM = st.fixed_dictionaries({}, optional=STREAM_FIELDS)
SCRATCH_INFO = st.fixed_dictionaries(
    {},
    optional={
        "format": st.fixed_dictionaries(
            {},
            optional={"format_name": CONTAINERS, "duration": NUMBERS, "start_time": NUMBERS},
        ),
        "streams": st.lists(STREAM, max_size=4),
    },
)


@st.composite
def _good_info_altered(draw) -> dict:
    """A sound video or audio file's JSON with some of its values replaced: most of the
    checks are only reached by an answer that passes the ones before them."""
    video = {"codec_type": "video", "codec_name": "h264", "width": 640, "height": 360}
    video |= {"avg_frame_rate": "25/1", "r_frame_rate": "25/1", "duration": "2.000000"}
    audio = {"codec_type": "audio", "codec_name": "aac", "duration": "2.000000"}
    streams = draw(st.sampled_from([[video, audio], [video], [audio], [audio, video]]))
    fmt = {"format_name": draw(st.sampled_from(["mov,mp4,m4a,3gp,3g2,mj2", "mp3", "webm"]))}
    fmt |= {"duration": "2.000000", "start_time": "0.000000"}
    altered_fmt = draw(
        st.fixed_dictionaries({}, optional={"duration": NUMBERS, "start_time": NUMBERS})
    )
    altered_streams = [
        {**stream, **draw(st.fixed_dictionaries({}, optional=STREAM_FIELDS))} for stream in streams
    ]
    if draw(st.booleans()):
        for stream in altered_streams:
            stream.pop(draw(st.sampled_from(sorted(stream))), None)
    return {"format": fmt | altered_fmt, "streams": altered_streams}


PACKETS = st.fixed_dictionaries(
    {},
    optional={
        "packets": st.lists(
            st.fixed_dictionaries(
                {},
                optional={"pts_time": NUMBERS, "dts_time": NUMBERS, "duration_time": NUMBERS},
            ),
            max_size=4,
        )
    },
)
A_GOOD_VIDEO = {
    "format": {"format_name": "mov,mp4,m4a,3gp,3g2,mj2", "duration": "2.0", "start_time": "0"},
    "streams": [
        {"codec_type": "video", "codec_name": "h264", "width": 640, "height": 360},
        {"codec_type": "audio", "codec_name": "aac", "duration": "2.0"},
    ],
}


@pytest.fixture(scope="module")
def upload(tmp_path_factory):
    path = tmp_path_factory.mktemp("probe") / "lecture.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)
    return str(path)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _probe(upload: str, info: dict, packets: dict) -> ProbeResult:
    def fake_ffprobe_json(path: str, **options) -> dict:
        return packets if "show_entries" in options else info

    original, probe.ffprobe_json = probe.ffprobe_json, fake_ffprobe_json
    try:
        return probe_media(upload)
    finally:
        probe.ffprobe_json = original


@settings(max_examples=1000, deadline=None)
@given(
    info=st.one_of(SCRATCH_INFO, _good_info_altered()),
    packets=st.one_of(PACKETS, st.just({"packets": [{"pts_time": "99999.0"}]})),
)
@example(info=A_GOOD_VIDEO, packets={"packets": [{"pts_time": "1.99"}]})
@example(  # a stream duration that is not a number, when the container has none
    info={
        "format": {"format_name": "matroska,webm"},
        "streams": [{"codec_type": "video", "width": 8, "height": 8, "duration": "N/A"}],
    },
    packets={},
)
@example(info={**A_GOOD_VIDEO, "format": {"format_name": "mp4", "duration": "inf"}}, packets={})
@example(info={**A_GOOD_VIDEO, "format": {"format_name": "mp4", "duration": "nan"}}, packets={})
@example(  # a rotation tag is the file's own metadata, any text
    info={
        "format": A_GOOD_VIDEO["format"],
        "streams": [{**A_GOOD_VIDEO["streams"][0], "tags": {"rotate": "1e400"}}],
    },
    packets={},
)
def test_ffprobe_json_gives_a_result_or_a_probe_error_with_a_message(upload, info, packets):
    try:
        result = _probe(upload, info, packets)
    except ProbeError as refused:
        assert str(refused).strip()
        return
    assert result.kind in {"video", "audio"}
    assert 0.05 < result.duration <= probe.max_duration_seconds()
    assert math.isfinite(result.duration)
    if result.kind == "video":
        assert 0 < result.width <= probe.MAX_DIMENSION and result.height > 0
