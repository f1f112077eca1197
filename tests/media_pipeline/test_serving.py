import pytest
from django.contrib.auth.models import AnonymousUser

from media_pipeline import services
from media_pipeline.selectors import video_playback
from media_pipeline.tokens import playback_token_make
from tests.courses.factories import make_course, make_lesson
from tests.factories import UserFactory

pytestmark = pytest.mark.ffmpeg


@pytest.fixture
def ready_video(make_video, clips):
    """A ready lecture in a lesson of a course open to everyone (offline download on)."""
    video = make_video(clips.v240)
    services.video_transcode(video_id=video.pk)
    video.refresh_from_db()
    course = make_course(allow_download=True)
    make_lesson(course, body=[("lecture_video", {"video": video, "caption": ""})])
    return video


@pytest.fixture
def member(db):
    return UserFactory(username="viewer")


def segment_url(master_url: str, name: str = "240p/seg_00000.m4s") -> str:
    return master_url.replace("master.m3u8", name)


class TestPlaybackInfo:
    def test_ready_video_gives_signed_urls(self, ready_video, member):
        info = video_playback(user=member, video=ready_video)

        assert info.master_url.endswith(f"/{ready_video.pk}/master.m3u8")
        assert info.master_url.startswith("/media-files/v/")
        assert info.audio_url.endswith("/audio/index.m3u8")
        assert [(r.name, r.height) for r in info.rungs] == [("240p", 240)]
        assert info.rungs[0].bandwidth > 0
        assert info.download_url.endswith("download.mp4") and info.poster_url.endswith(".webp")
        assert info.duration == pytest.approx(2, abs=0.2)

    def test_none_unless_ready_or_for_anonymous(self, make_video, clips, ready_video, member):
        waiting = make_video(clips.v240)

        assert video_playback(user=member, video=waiting) is None
        assert video_playback(user=AnonymousUser(), video=ready_video) is None


class TestAccess:
    def test_allowed_member_gets_playlists_and_segments(self, client, ready_video, member):
        info = video_playback(user=member, video=ready_video)
        client.force_login(member)

        master = client.get(info.master_url)
        assert master.status_code == 200
        assert master["Content-Type"] == "application/vnd.apple.mpegurl"
        assert master["Cache-Control"] == "private, max-age=300"
        assert b"240p/index.m3u8" in master.content

        rung = client.get(info.master_url.replace("master.m3u8", "240p/index.m3u8"))
        assert rung.status_code == 200 and b"seg_00000.m4s" in rung.content
        assert b'#EXT-X-MAP:URI="init.mp4"' in rung.content

        # fMP4 (CMAF): the rung's init segment, then segments of fragments
        init = client.get(segment_url(info.master_url, "240p/init.mp4"))
        body = b"".join(init.streaming_content)
        assert init.status_code == 200 and init["Content-Type"] == "video/mp4"
        assert body[4:8] == b"ftyp" and b"moov" in body
        assert init["Cache-Control"] == "private, max-age=31536000, immutable"
        assert "Content-Disposition" not in init  # a part of the ladder, not the download
        segment = client.get(segment_url(info.master_url))
        body = b"".join(segment.streaming_content)
        assert segment.status_code == 200 and segment["Content-Type"] == "video/mp4"
        assert segment["Cache-Control"] == "private, max-age=31536000, immutable"
        assert int(segment["Content-Length"]) == len(body) and b"moof" in body[:200]

        audio_segment = client.get(segment_url(info.master_url, "audio/seg_00000.m4s"))
        assert audio_segment.status_code == 200
        assert audio_segment["Content-Type"] == "audio/mp4"
        poster = client.get(info.poster_url)
        assert poster.status_code == 200 and poster["Content-Type"] == "image/webp"
        assert client.get(info.audio_url).status_code == 200

    def test_a_ladder_published_as_mpeg_ts_still_plays(self, client, ready_video, member):
        # given a ladder written before fMP4: its playlists name .ts segments
        from pathlib import Path

        from django.core.files.storage import default_storage

        root = Path(default_storage.path(ready_video.rendition_dir))
        (root / "240p" / "seg_00000.ts").write_bytes(b"\x47" + bytes(187))
        (root / "240p" / "index.m3u8").write_text(
            "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\n"
            "seg_00000.ts\n#EXT-X-ENDLIST\n"
        )
        info = video_playback(user=member, video=ready_video)
        client.force_login(member)

        # then its playlist and segment are served, the segment as MPEG-TS
        rung = client.get(segment_url(info.master_url, "240p/index.m3u8"))
        assert rung.status_code == 200 and b"seg_00000.ts" in rung.content
        segment = client.get(segment_url(info.master_url, "240p/seg_00000.ts"))
        assert segment.status_code == 200 and segment["Content-Type"] == "video/mp2t"
        assert b"".join(segment.streaming_content)[:1] == b"\x47"
        # and the token still binds it to its member
        client.force_login(UserFactory(username="someone_else"))
        assert client.get(segment_url(info.master_url, "240p/seg_00000.ts")).status_code == 403
        assert client.get(segment_url(info.master_url, "240p/init.mp4")).status_code == 403

    def test_range_requests(self, client, ready_video, member):
        info = video_playback(user=member, video=ready_video)
        client.force_login(member)
        url = segment_url(info.master_url)
        size = int(client.get(url)["Content-Length"])

        partial = client.get(url, HTTP_RANGE="bytes=100-299")
        assert partial.status_code == 206
        assert partial["Content-Range"] == f"bytes 100-299/{size}"
        assert len(b"".join(partial.streaming_content)) == 200

        tail = client.get(url, HTTP_RANGE="bytes=-188")
        assert tail.status_code == 206 and tail["Content-Range"].endswith(f"/{size}")

        beyond = client.get(url, HTTP_RANGE=f"bytes={size + 10}-")
        assert beyond.status_code == 416 and beyond["Content-Range"] == f"bytes */{size}"

    def test_anonymous_is_refused(self, client, ready_video, member):
        info = video_playback(user=member, video=ready_video)

        assert client.get(info.master_url).status_code == 403
        assert client.get(segment_url(info.master_url)).status_code == 403

    def test_another_users_token_is_refused(self, client, ready_video, member):
        info = video_playback(user=member, video=ready_video)
        client.force_login(UserFactory(username="someone_else"))

        assert client.get(info.master_url).status_code == 403
        assert client.get(segment_url(info.master_url)).status_code == 403

    def test_forged_token_is_refused(self, client, ready_video, member):
        info = video_playback(user=member, video=ready_video)
        client.force_login(member)
        token = info.master_url.split("/")[3]
        forged = playback_token_make(video_id=ready_video.pk, user_id=member.pk)[:-4] + "AAAA"

        assert client.get(info.master_url.replace(token, forged)).status_code == 403

    def test_expired_token_is_refused(self, client, ready_video, member, settings):
        info = video_playback(user=member, video=ready_video)
        client.force_login(member)
        settings.MEDIA_PLAYBACK_TOKEN_MAX_AGE = -1

        assert client.get(info.master_url).status_code == 403

    def test_token_for_another_video_is_refused(self, client, make_video, clips, member):
        first = make_video(clips.v240, title="One")
        second = make_video(clips.v240, title="Two")
        for video in (first, second):
            services.video_transcode(video_id=video.pk)
            video.refresh_from_db()
        info = video_playback(user=member, video=first)
        client.force_login(member)

        url = info.master_url.replace(f"/{first.pk}/", f"/{second.pk}/")
        assert client.get(url).status_code == 403

    @pytest.mark.parametrize(
        "path",
        [
            "../../../../etc/passwd",
            "240p/../../other/master.m3u8",
            "%2e%2e/%2e%2e/secret.ts",
            ".tmp/seg.ts",
            "240p//seg_00000.ts",
            "../1/master.m3u8",
        ],
    )
    def test_path_traversal_is_refused(self, client, ready_video, member, path):
        info = video_playback(user=member, video=ready_video)
        client.force_login(member)

        response = client.get(info.master_url.replace("master.m3u8", path))

        assert response.status_code in (403, 404)
        assert b"root:" not in response.content

    def test_accel_redirect_hands_the_bytes_to_nginx(self, client, ready_video, member, settings):
        settings.MEDIA_ACCEL_REDIRECT_PREFIX = "/_protected_media/"
        info = video_playback(user=member, video=ready_video)
        client.force_login(member)

        response = client.get(segment_url(info.master_url))

        assert response.status_code == 200 and response.content == b""
        assert response["X-Accel-Redirect"] == (
            f"/_protected_media/{ready_video.rendition_dir}/240p/seg_00000.m4s"
        )
        assert response["Content-Type"] == "video/mp4"
