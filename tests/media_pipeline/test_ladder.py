from media_pipeline.ladder import plan_for
from media_pipeline.probe import ProbeResult


def probe(width, height, fps=30.0, audio="aac"):
    return ProbeResult(
        kind="video",
        format_name="mov,mp4,m4a,3gp,3g2,mj2",
        duration=60,
        width=width,
        height=height,
        fps=fps,
        video_codec="h264",
        audio_codec=audio,
    )


def sizes(plan):
    return [(r.name, r.width, r.height) for r in plan.rungs]


def test_full_hd_gets_all_rungs_lowest_first():
    plan = plan_for(probe(1920, 1080))

    assert sizes(plan) == [
        ("240p", 426, 240),
        ("360p", 640, 360),
        ("480p", 854, 480),
        ("720p", 1280, 720),
    ]
    assert plan.download_rung.name == "360p"


def test_rungs_above_the_source_are_skipped():
    assert [r.name for r in plan_for(probe(854, 480)).rungs] == ["240p", "360p", "480p"]


def test_portrait_is_laddered_by_its_short_side():
    plan = plan_for(probe(1080, 1920))

    assert sizes(plan)[0] == ("240p", 240, 426) and sizes(plan)[-1] == ("720p", 720, 1280)


def test_tiny_source_gets_one_rung_at_its_own_size():
    plan = plan_for(probe(176, 144))

    assert sizes(plan) == [("144p", 176, 144)]
    assert plan.rungs[0].fps(plan.fps) == 15


def test_frame_rate_is_capped_and_lowest_rung_halved():
    plan = plan_for(probe(1280, 720, fps=59.94))

    assert plan.fps == 30
    assert [r.fps(plan.fps) for r in plan.rungs] == [15, 30, 30, 30]


def test_audio_lecture_has_no_video_rungs():
    audio = ProbeResult(kind="audio", format_name="mp3", duration=60, audio_codec="mp3")

    plan = plan_for(audio)

    assert plan.rungs == [] and plan.audio and plan.download_rung is None
