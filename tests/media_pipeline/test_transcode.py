import json
import os
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from media_pipeline import services
from media_pipeline.ladder import read_segments
from media_pipeline.models import LectureVideo
from media_pipeline.services import TranscodeBusy, TransientTranscodeError
from media_pipeline.tasks import requeue_stale_transcodes_task, transcode_video_task

pytestmark = pytest.mark.ffmpeg


def ffprobe(path: Path) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
        check=True,
        capture_output=True,
    ).stdout
    return json.loads(out)


def ladder_dir(video: LectureVideo) -> Path:
    return Path(default_storage.path(video.rendition_dir))


def all_files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


class TestLadder:
    def test_one_pass_ladder_is_readable_and_lists_lowest_first(self, make_video, clips):
        video = make_video(clips.v360)

        outcome = services.video_transcode(video_id=video.pk)

        video.refresh_from_db()
        assert outcome.status == "ready" and video.status == "ready"
        assert video.progress_percent == 100
        assert (video.width, video.height, video.type) == (640, 360, "video")
        root = ladder_dir(video)
        # Rungs above the source's height are skipped.
        assert sorted(p.name for p in root.iterdir() if p.is_dir()) == ["240p", "360p", "audio"]
        for rung, height in (("240p", 240), ("360p", 360)):
            streams = ffprobe(root / rung / "index.m3u8")["streams"]
            video_stream = next(s for s in streams if s["codec_type"] == "video")
            assert video_stream["height"] == height and video_stream["codec_name"] == "h264"
            assert any(s["codec_type"] == "audio" and s["channels"] == 1 for s in streams)
            segments = read_segments(str(root / rung / "index.m3u8"))
            assert segments[0][1] == pytest.approx(2, abs=0.1)  # short first segment
            # fMP4 (CMAF): an init segment named by EXT-X-MAP, then .m4s fragments
            playlist = (root / rung / "index.m3u8").read_text()
            assert '#EXT-X-MAP:URI="init.mp4"' in playlist
            assert all(name.endswith(".m4s") for name, _s in segments)
            assert (root / rung / "init.mp4").read_bytes()[4:8] == b"ftyp"
        audio = ffprobe(root / "audio" / "index.m3u8")["streams"]
        assert [s["codec_name"] for s in audio] == ["aac"]
        download = ffprobe(root / "download.mp4")
        assert download["streams"][0]["height"] == 360
        assert ffprobe(root / "poster.webp")["streams"][0]["codec_name"] == "webp"
        assert not (root / "poster-frame.png").exists()
        master_info = ffprobe(root / "master.m3u8")
        assert master_info["format"]["format_name"] == "hls"

        master = (root / "master.m3u8").read_text().splitlines()
        variants = [line for line in master if line.startswith("#EXT-X-STREAM-INF")]
        assert "RESOLUTION=426x240" in variants[0] and master[master.index(variants[0]) + 1] == (
            "240p/index.m3u8"
        )
        assert "RESOLUTION=640x360" in variants[1]
        for line in variants[:2]:
            assert "BANDWIDTH=" in line and "AVERAGE-BANDWIDTH=" in line
            assert 'CODECS="avc1.' in line and 'mp4a.40.2"' in line
        # BANDWIDTH is never below what a rung may cost (cap + audio), whatever this short
        # clip measured, so hls.js on 2G does not climb to a rung that only measured cheap
        # (bench/README.md "player first frame").
        declared = [int(line.split("BANDWIDTH=")[1].split(",")[0]) for line in variants[:2]]
        assert declared[0] >= (150 + 24) * 1000 and declared[1] >= (300 + 32) * 1000
        assert variants[2].endswith('CODECS="mp4a.40.2"')  # audio-only last

    def test_small_source_gets_one_rung_not_upscaled(self, make_video, clips):
        video = make_video(clips.v240)

        services.video_transcode(video_id=video.pk)

        video.refresh_from_db()
        assert [r["name"] for r in video.renditions["rungs"]] == ["240p"]
        assert video.renditions["download"] == "download.mp4"

    def test_audio_lecture(self, make_video, clips):
        video = make_video(clips.mp3)

        services.video_transcode(video_id=video.pk)

        video.refresh_from_db()
        assert video.status == "ready" and video.type == "audio"
        assert video.renditions["rungs"] == []
        assert all_files(ladder_dir(video)) >= {"master.m3u8", "audio/index.m3u8", "download.m4a"}

    def test_bad_input_fails_with_reason_and_is_not_retried(self, make_video, clips):
        video = make_video(clips.audio_mkv)

        result = transcode_video_task.delay(video.pk)

        video.refresh_from_db()
        assert result.get() == "failed"
        assert video.status == "failed" and "no video stream" in video.failure_reason
        assert video.attempts == 1

    def test_second_transcode_replaces_the_ladder_cleanly(
        self, make_video, clips, django_capture_on_commit_callbacks
    ):
        video = make_video(clips.v360)
        services.video_transcode(video_id=video.pk)
        video.refresh_from_db()
        first = ladder_dir(video)
        # The trainer replaces the file with a smaller one and it is transcoded again.
        with open(clips.v240, "rb") as fh:
            video.file.save("replacement.mp4", fh)

        with django_capture_on_commit_callbacks(execute=True):
            assert services.video_transcode_request(video=video)

        video.refresh_from_db()
        second = ladder_dir(video)
        assert video.status == "ready" and second != first
        assert not first.exists()
        assert [p.name for p in second.parent.iterdir()] == [second.name]
        assert not any(p.is_dir() and p.name not in ("240p", "audio") for p in second.iterdir())
        tmp = Path(default_storage.path(services.RENDITIONS_ROOT)) / ".tmp"
        assert not tmp.exists() or not any(tmp.iterdir())


class TestReliability:
    def test_a_running_transcode_refuses_a_second_run(self, make_video, clips):
        video = make_video(clips.v240)
        LectureVideo.objects.filter(pk=video.pk).update(
            status="transcoding", lock_token="other-run", heartbeat_at=timezone.now()
        )

        with pytest.raises(TranscodeBusy):
            services.video_transcode(video_id=video.pk)
        assert transcode_video_task.delay(video.pk).get() == "busy"
        assert services.video_transcode_request(video=video) is False

        video.refresh_from_db()
        assert video.lock_token == "other-run" and video.status == "transcoding"

    def test_stale_transcode_is_requeued_and_finishes(
        self, make_video, clips, django_capture_on_commit_callbacks
    ):
        video = make_video(clips.v240)
        long_ago = timezone.now() - timedelta(hours=1)
        LectureVideo.objects.filter(pk=video.pk).update(
            status="transcoding", lock_token="dead-worker", heartbeat_at=long_ago
        )

        with django_capture_on_commit_callbacks(execute=True):
            requeued = requeue_stale_transcodes_task.delay().get()

        video.refresh_from_db()
        assert requeued == [video.pk]
        assert video.status == "ready" and video.lock_token == ""

    def test_killed_ffmpeg_is_transient(self, tmp_path):
        with pytest.raises(TransientTranscodeError):
            services._run_ffmpeg(
                ["sh", "-c", "kill -9 $$"], duration=1, timeout=30, on_progress=lambda p: None
            )

    def test_time_limit_scales_with_duration_and_stays_below_visibility(self, settings):
        assert services.transcode_time_limit(60) < services.transcode_time_limit(3600)
        assert services.transcode_time_limit(4 * 3600) <= settings.MEDIA_TASK_MAX_SECONDS
        visibility = settings.MEDIA_TASK_MAX_SECONDS + 3600
        assert services.transcode_time_limit(4 * 3600) + 120 < visibility

    def test_deleting_a_video_removes_its_ladder(
        self, make_video, clips, django_capture_on_commit_callbacks
    ):
        video = make_video(clips.v240)
        services.video_transcode(video_id=video.pk)
        video.refresh_from_db()
        root = ladder_dir(video)

        with django_capture_on_commit_callbacks(execute=True):
            video.delete()

        assert not root.exists()


@pytest.mark.worker
def test_transcode_through_a_real_worker(celery_worker_process, clips, settings):
    from django.core.files import File

    from tests.conftest import wait_for
    from tests.media_pipeline.conftest import ensure_root_collection

    ensure_root_collection()
    with open(clips.v240, "rb") as fh:
        video = LectureVideo(title="Worker lecture", type="video")
        video.file.save("worker.mp4", File(fh))

    transcode_video_task.delay(video.pk)

    def ready():
        video.refresh_from_db()
        return video.status in ("ready", "failed")

    wait_for(ready, timeout=90)
    assert video.status == "ready", video.failure_reason
    assert os.path.exists(default_storage.path(f"{video.rendition_dir}/master.m3u8"))


def test_video_without_sound_has_no_audio_rung(make_video, clips):
    video = make_video(clips.silent)

    services.video_transcode(video_id=video.pk)

    video.refresh_from_db()
    master = (ladder_dir(video) / "master.m3u8").read_text()
    assert video.status == "ready" and video.renditions["audio"] is None
    assert 'CODECS="avc1.' in master and "mp4a" not in master


def test_a_new_source_takes_over_a_running_transcode(
    make_video, clips, django_capture_on_commit_callbacks
):
    video = make_video(clips.v240)
    LectureVideo.objects.filter(pk=video.pk).update(
        status="transcoding", lock_token="old-run", heartbeat_at=timezone.now()
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert services.video_transcode_request(video=video, force=True) is True

    video.refresh_from_db()
    assert video.status == "ready"
    with pytest.raises(services.LockLost):
        services._guarded(video.pk, "old-run", progress_percent=50)
