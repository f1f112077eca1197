"""No half lecture published: truncated uploads and sources that decode short.

The files are cut at run time from a lavfi-generated lecture, as a broken upload or an
interrupted copy leaves them: ``head -c`` (the data stops, the header still claims the
whole lecture) and ``head -c`` + ``truncate -s`` (the size is right, the tail is zeros,
as a pre-allocated download that never finished).
"""

import re
import subprocess
from pathlib import Path

import pytest
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from media_pipeline import ladder, services
from media_pipeline.models import LectureVideo
from media_pipeline.probe import clock
from tests.factories import UserFactory
from tests.media_pipeline.conftest import ensure_root_collection, ffmpeg

pytestmark = pytest.mark.ffmpeg

SECONDS = 20


@pytest.fixture(scope="session")
def lecture(tmp_path_factory) -> Path:
    """A 20 s lecture written with ``faststart`` (its index first, as uploads usually are)."""
    path = tmp_path_factory.mktemp("whole") / "lecture.mp4"
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=s=320x240:r=25:d={SECONDS}",
           "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={SECONDS}",
           "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "50",
           "-c:a", "aac", "-shortest", "-movflags", "+faststart", str(path))  # fmt: skip
    return path


def cut(source: Path, target: Path, fraction: float, *, keep_size: bool = False) -> Path:
    size = source.stat().st_size
    with open(target, "wb") as out:
        subprocess.run(
            ["head", "-c", str(int(size * fraction)), str(source)], stdout=out, check=True
        )
    if keep_size:
        subprocess.run(["truncate", "-s", str(size), str(target)], check=True)
    return target


def upload(client, path: Path):
    with open(path, "rb") as fh:
        data = SimpleUploadedFile("lecture.mp4", fh.read())
    return client.post(reverse("wagtailmedia:add", args=("video",)), {"title": "T", "file": data})


def nothing_published(video: LectureVideo) -> None:
    assert video.rendition_dir == "" and video.renditions in ({}, None)
    root = Path(default_storage.path(f"{services.RENDITIONS_ROOT}/{video.pk}"))
    assert not root.exists() or not any(root.rglob("*.m3u8"))
    tmp = Path(default_storage.path(services.RENDITIONS_ROOT)) / ".tmp"
    assert not tmp.exists() or not any(tmp.iterdir())


@pytest.fixture
def admin_client(client, db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    client.force_login(UserFactory(username="boss", is_superuser=True, is_staff=True))
    return client


def test_clock_reads_like_the_player():
    assert [clock(52), clock(250), clock(3723.9), clock(0.4)] == ["0:52", "4:10", "1:02:03", "0:00"]


class TestUpload:
    def test_a_truncated_upload_is_refused_with_where_it_stops(
        self, admin_client, lecture, tmp_path
    ):
        truncated = cut(lecture, tmp_path / "cut.mp4", 0.4)

        response = upload(admin_client, truncated)

        assert response.status_code == 200
        text = response.content.decode()
        assert "The file is incomplete: it stops at 0:0" in text and f"of 0:{SECONDS}." in text
        assert not LectureVideo.objects.exists()

    def test_an_upload_cut_before_its_index_is_refused(self, admin_client, lecture, tmp_path):
        plain = tmp_path / "plain.mp4"
        ffmpeg("-i", str(lecture), "-c", "copy", str(plain))  # index written last
        truncated = cut(plain, tmp_path / "cut.mp4", 0.6)

        response = upload(admin_client, truncated)

        assert response.status_code == 200
        assert "The file is incomplete" in response.content.decode()
        assert not LectureVideo.objects.exists()

    def test_the_whole_file_is_accepted_and_published(
        self, admin_client, lecture, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = upload(admin_client, lecture)

        assert response.status_code == 302
        video = LectureVideo.objects.get()
        assert video.status == "ready", video.failure_reason
        root = Path(default_storage.path(video.rendition_dir))
        seconds = sum(s for _n, s in ladder.read_segments(str(root / "240p" / "index.m3u8")))
        assert seconds == pytest.approx(SECONDS, abs=0.5)


class TestTranscode:
    def test_a_source_that_decodes_short_fails_and_publishes_nothing(
        self, make_video, lecture, tmp_path
    ):
        zero_tail = cut(lecture, tmp_path / "zeros.mp4", 0.4, keep_size=True)
        video = make_video(zero_tail)

        outcome = services.video_transcode(video_id=video.pk)

        video.refresh_from_db()
        assert outcome.status == "failed" and video.status == "failed"
        assert video.failure_reason.startswith("The file is incomplete: it stops at 0:0")
        assert video.failure_reason.endswith(f"of 0:{SECONDS}.")
        assert video.attempts == 1  # bad input: not retried
        nothing_published(video)

    def test_a_replacement_that_decodes_short_keeps_the_old_ladder(
        self, make_video, lecture, tmp_path, django_capture_on_commit_callbacks
    ):
        video = make_video(lecture)
        services.video_transcode(video_id=video.pk)
        video.refresh_from_db()
        good = video.rendition_dir
        with open(cut(lecture, tmp_path / "zeros.mp4", 0.4, keep_size=True), "rb") as fh:
            video.file.save("replacement.mp4", File(fh))

        with django_capture_on_commit_callbacks(execute=True):
            services.video_transcode_request(video=video, force=True)

        video.refresh_from_db()
        assert video.status == "failed" and "incomplete" in video.failure_reason
        assert video.rendition_dir == good
        assert (Path(default_storage.path(good)) / "master.m3u8").exists()

    def test_an_output_missing_a_segment_is_short(self, make_video, lecture, tmp_path):
        video = make_video(lecture)
        services.video_transcode(video_id=video.pk)
        video.refresh_from_db()
        root = Path(default_storage.path(video.rendition_dir))
        from media_pipeline.probe import probe_media

        plan = ladder.plan_for(probe_media(str(lecture)))
        assert not [c for c in ladder.check_outputs(str(root), plan) if c.short]

        (root / "240p" / "seg_00003.m4s").unlink()
        (root / "download.mp4").write_bytes((root / "download.mp4").read_bytes()[:5000])

        short = {c.name for c in ladder.check_outputs(str(root), plan) if c.short}
        assert short == {"240p", "download.mp4"}


@pytest.fixture
def own_media_root(settings, tmp_path):
    """A media folder of this test's own, set before the worker starts (which is handed
    it): the session's folder keeps earlier tests' ladders under reused video ids."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.mark.worker
def test_a_truncated_upload_fails_on_the_real_worker(
    own_media_root, celery_worker_process, lecture, client, tmp_path
):
    # given a superuser uploading, through the admin, a file whose tail was lost
    ensure_root_collection()
    client.force_login(UserFactory(username="boss", is_superuser=True, is_staff=True))
    zero_tail = cut(lecture, tmp_path / "zeros.mp4", 0.4, keep_size=True)

    # when the upload is accepted and transcoded by the worker
    response = upload(client, zero_tail)
    assert response.status_code == 302, response.content.decode()[:2000]
    video = LectureVideo.objects.get()

    from tests.conftest import wait_for

    def finished():
        video.refresh_from_db()
        return video.status in ("ready", "failed")

    wait_for(finished, timeout=120)

    # then it failed with where the lecture stops (in the worker's language), and nothing
    # reached the members
    assert video.status == "failed"
    assert re.search(rf"\b0:0\d\b.*\b0:{SECONDS}\b", video.failure_reason), video.failure_reason
    nothing_published(video)
