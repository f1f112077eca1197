import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from media_pipeline import services
from media_pipeline.models import LectureCaption, LectureVideo
from media_pipeline.selectors import video_playback
from tests.courses.factories import make_course, make_lesson
from tests.factories import UserFactory

pytestmark = pytest.mark.ffmpeg


@pytest.fixture
def admin_client(client, db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    client.force_login(UserFactory(username="boss", is_superuser=True, is_staff=True))
    return client


def upload(client, path, name=None):
    with open(path, "rb") as fh:
        data = SimpleUploadedFile(name or path.name, fh.read())
    return client.post(reverse("wagtailmedia:add", args=("video",)), {"title": "T", "file": data})


class TestUpload:
    def test_upload_is_probed_queued_and_transcoded(
        self, admin_client, clips, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = upload(admin_client, clips.v360)

        assert response.status_code == 302
        video = LectureVideo.objects.get()
        assert video.status == "ready" and video.height == 360 and video.source_fps == 25

        listing = admin_client.get(reverse("wagtailmedia:index"))
        assert listing.status_code == 200
        assert b'data-lecture-status="ready"' in listing.content
        assert b"media_pipeline/admin.js" in listing.content

    def test_size_limit(self, admin_client, clips, settings):
        settings.MEDIA_UPLOAD_MAX_BYTES = 1000

        response = upload(admin_client, clips.v240)

        assert response.status_code == 200
        assert "the largest upload accepted is 1000" in response.content.decode()
        assert 'data-max-bytes="1000"' in response.content.decode()
        assert not LectureVideo.objects.exists()

    @pytest.mark.parametrize(
        "clip, message",
        [
            ("not_media", "not a video or audio file"),
            ("audio_mkv", "no video stream"),
            ("disguised", "Playlists and concat lists"),
            ("empty", "no duration"),
        ],
    )
    def test_bad_file_is_refused_with_its_message(self, admin_client, clips, clip, message):
        response = upload(admin_client, getattr(clips, clip))

        assert response.status_code == 200
        assert message in response.content.decode()
        assert not LectureVideo.objects.exists()

    def test_audio_lecture_upload_is_accepted(
        self, admin_client, clips, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = upload(admin_client, clips.mp3)

        assert response.status_code == 302
        assert LectureVideo.objects.get().type == "audio"


class TestListingActions:
    def test_status_endpoint_and_retry(
        self, admin_client, make_video, clips, django_capture_on_commit_callbacks
    ):
        video = make_video(clips.v240)
        LectureVideo.objects.filter(pk=video.pk).update(
            status="failed", failure_reason="ffmpeg was killed"
        )

        status = admin_client.get("/api/media/videos/status/", {"ids": str(video.pk)})
        assert status.json() == [
            {
                "id": video.pk,
                "status": "failed",
                "status_label": "Failed",
                "progress_percent": 0,
                "failure_reason": "ffmpeg was killed",
            }
        ]
        listing = admin_client.get(reverse("wagtailmedia:index"))
        assert b"ffmpeg was killed" in listing.content
        assert reverse("media_pipeline_retry", args=(video.pk,)).encode() in listing.content

        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(reverse("media_pipeline_retry", args=(video.pk,)))

        assert response.status_code == 302
        video.refresh_from_db()
        assert video.status == "ready" and video.failure_reason == ""

    def test_status_endpoint_needs_media_permission(self, client, make_video, clips):
        video = make_video(clips.v240)
        client.force_login(UserFactory(username="plain"))

        assert client.get("/api/media/videos/status/", {"ids": str(video.pk)}).json() == []

    def test_chooser_lists_lecture_videos(self, admin_client, make_video, clips):
        make_video(clips.v240, title="Chosen lecture")

        response = admin_client.get(reverse("wagtailmedia:chooser"))

        assert response.status_code == 200
        assert "Chosen lecture" in response.content.decode()


class TestCaptions:
    def test_srt_upload_becomes_vtt_and_is_served(self, admin_client, make_video, clips):
        video = make_video(clips.v240)
        services.video_transcode(video_id=video.pk)
        srt = (
            "1\r\n00:00:00,500 --> 00:00:01,750\r\n同学们好\r\n\r\n"
            "2\r\n00:00:01,800 --> 00:00:02,000\r\nHi\r\n"
        )

        response = admin_client.post(
            reverse("lecture_captions:add"),
            {
                "video": video.pk,
                "language": "zh-hans",
                "label": "中文",
                "file": SimpleUploadedFile("talk.srt", srt.encode("utf-8")),
            },
        )

        assert response.status_code == 302, response.content.decode()[:2000]
        caption = LectureCaption.objects.get()
        text = caption.file.read().decode("utf-8")
        assert text.startswith("WEBVTT\n\n1\n00:00:00.500 --> 00:00:01.750\n同学们好")
        video.refresh_from_db()
        course = make_course()
        make_lesson(course, body=[("lecture_video", {"video": video, "caption": ""})])
        viewer = UserFactory(username="viewer")
        info = video_playback(user=viewer, video=video)
        assert [(c.language, c.label) for c in info.captions] == [("zh-hans", "中文")]
        admin_client.force_login(viewer)
        served = admin_client.get(info.captions[0].url)
        assert served.status_code == 200 and served["Content-Type"].startswith("text/vtt")
        assert "同学们好" in served.content.decode("utf-8")

    def test_not_captions_refused(self, admin_client, make_video, clips):
        video = make_video(clips.v240)

        response = admin_client.post(
            reverse("lecture_captions:add"),
            {
                "video": video.pk,
                "language": "en",
                "file": SimpleUploadedFile("x.srt", b"just text"),
            },
        )

        assert response.status_code == 200
        assert "not a WebVTT or SRT" in response.content.decode()


def test_trainers_can_upload_and_caption(client, db, clips, settings, tmp_path):
    from django.contrib.auth.models import Group

    # given a trainer in the admin
    settings.MEDIA_ROOT = str(tmp_path / "media")
    trainer = UserFactory(username="trainer_t")
    trainer.groups.add(Group.objects.get(name="Trainers"))
    client.force_login(trainer)

    # when they upload a lecture and then a caption file for it
    with open(clips.v240, "rb") as fh:
        uploaded = client.post(
            reverse("wagtailmedia:add", args=("video",)),
            {"title": "党课第一讲", "file": SimpleUploadedFile("lecture.mp4", fh.read())},
        )
    video = LectureVideo.objects.get()
    captioned = client.post(
        reverse("lecture_captions:add"),
        {
            "video": video.pk,
            "language": "zh-hans",
            "label": "中文",
            "file": SimpleUploadedFile(
                "talk.vtt", "WEBVTT\n\n00:00:00.500 --> 00:00:01.750\n同学们好\n".encode()
            ),
        },
    )

    # then both are stored, theirs, and listed where trainers look for them
    assert uploaded.status_code == 302, uploaded.content.decode()[:2000]
    assert video.uploaded_by_user == trainer and video.height == 240
    assert captioned.status_code == 302, captioned.content.decode()[:2000]
    caption = LectureCaption.objects.get(video=video)
    assert "同学们好" in caption.file.read().decode("utf-8")
    assert "党课第一讲" in client.get(reverse("wagtailmedia:index")).content.decode()
    assert "中文" in client.get(reverse("lecture_captions:index")).content.decode()


@pytest.mark.django_db(transaction=True)
def test_an_upload_while_the_broker_is_down_succeeds_and_is_sent_again(
    client, settings, tmp_path, clips, broker_down
):
    """The trainer's upload is kept and answered as usual; the beat re-queue sends the
    transcode as soon as the broker answers again."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    client.force_login(UserFactory(username="boss", is_superuser=True, is_staff=True))
    response = upload(client, clips.v240)
    assert response.status_code == 302
    video = LectureVideo.objects.get()
    assert video.status == LectureVideo.Status.UPLOADED and video.file

    assert services.transcodes_requeue_stale() == [video.pk]  # broker still down: logged
    video.refresh_from_db()
    assert video.status == LectureVideo.Status.UPLOADED
