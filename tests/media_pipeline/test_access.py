"""Access at serve time: the signed URL is not enough, the member must still be allowed to
watch the lesson (within ``access_cache_seconds()``), and the offline MP4 follows the
course's "allow offline download"."""

import time

import pytest
from django.core.cache import cache

from media_pipeline import access, services
from media_pipeline.selectors import playback_url, video_playback
from media_pipeline.tokens import playback_token_make
from tests.courses.factories import make_course, make_lesson

pytestmark = pytest.mark.ffmpeg


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def ready_video(make_video, clips):
    video = make_video(clips.v240)
    services.video_transcode(video_id=video.pk)
    video.refresh_from_db()
    return video


@pytest.fixture
def member(org, member_factory):
    return member_factory(org.branch_a, username="member_a")


def lesson_with(video, *, audience, **course_fields):
    course = make_course(audience=audience, **course_fields)
    lesson = make_lesson(course, body=[("lecture_video", {"video": video, "caption": ""})])
    return course, lesson


def fetch(client, url):
    response = client.get(url)
    if hasattr(response, "streaming_content"):
        b"".join(response.streaming_content)
    return response.status_code


def media_urls(info):
    segment = info.master_url.replace("master.m3u8", "240p/seg_00000.m4s")
    playlist = info.master_url.replace("master.m3u8", "240p/index.m3u8")
    return [info.master_url, playlist, segment, info.poster_url, info.audio_url]


class TestAudienceAtServeTime:
    def test_a_member_of_the_audience_gets_the_media(self, client, org, member, ready_video):
        lesson_with(ready_video, audience=[org.branch_a])
        info = video_playback(user=member, video=ready_video)
        client.force_login(member)

        assert [fetch(client, url) for url in media_urls(info)] == [200] * 5

    def test_a_member_removed_from_the_audience_is_refused_within_the_cache_time(
        self, client, org, member, ready_video, settings
    ):
        # given a member watching with the URLs of their last page load
        settings.MEDIA_ACCESS_CACHE_SECONDS = 1
        course, _lesson = lesson_with(ready_video, audience=[org.branch_a])
        info = video_playback(user=member, video=ready_video)
        client.force_login(member)
        assert fetch(client, info.master_url) == 200

        # when the course's audience moves to another branch
        course.audience_units.set([org.west_branch])
        course.save()
        time.sleep(access.access_cache_seconds() + 0.1)

        # then every media URL is refused, though the signature is valid for hours
        assert [fetch(client, url) for url in media_urls(info)] == [403] * 5

    def test_the_cache_never_outlives_a_minute(self, settings):
        settings.MEDIA_ACCESS_CACHE_SECONDS = 3600
        assert access.access_cache_seconds() == 60
        del settings.MEDIA_ACCESS_CACHE_SECONDS
        assert access.access_cache_seconds() <= 60

    def test_an_unpublished_lesson_takes_its_media_along(
        self, client, org, member, ready_video, settings
    ):
        settings.MEDIA_ACCESS_CACHE_SECONDS = 0
        _course, lesson = lesson_with(ready_video, audience=[org.branch_a])
        info = video_playback(user=member, video=ready_video)
        client.force_login(member)
        assert fetch(client, info.master_url) == 200

        lesson.unpublish()

        assert fetch(client, info.master_url) == 403

    def test_a_valid_token_for_a_video_in_no_lesson_of_theirs_is_refused(
        self, client, org, member, ready_video
    ):
        # the video is used by another branch's course only
        lesson_with(ready_video, audience=[org.west_branch])
        token = playback_token_make(video_id=ready_video.pk, user_id=member.pk)
        client.force_login(member)

        url = playback_url(token=token, video_id=ready_video.pk, path="master.m3u8")
        assert fetch(client, url) == 403
        assert video_playback(user=member, video=ready_video).download_url is None

    def test_an_inactive_member_is_refused(self, client, org, member, ready_video, settings):
        settings.MEDIA_ACCESS_CACHE_SECONDS = 0
        lesson_with(ready_video, audience=None)
        info = video_playback(user=member, video=ready_video)
        client.force_login(member)
        assert fetch(client, info.master_url) == 200

        member.is_active = False
        member.save()

        assert fetch(client, info.master_url) == 403


class TestDownloads:
    def download_url(self, video, user):
        token = playback_token_make(video_id=video.pk, user_id=user.pk)
        return playback_url(token=token, video_id=video.pk, path="download.mp4")

    def test_with_downloads_off_no_mp4_url_reaches_the_page_and_it_is_refused(
        self, client, org, member, ready_video
    ):
        _course, lesson = lesson_with(ready_video, audience=[org.branch_a], allow_download=False)
        client.force_login(member)

        page = client.get(lesson.url)

        html = page.content.decode()
        assert page.status_code == 200 and "master.m3u8" in html
        assert "download.mp4" not in html and "video/mp4" not in html
        assert video_playback(user=member, video=ready_video).download_url is None
        # the URL built by hand from a valid token is refused all the same
        assert fetch(client, self.download_url(ready_video, member)) == 403
        assert fetch(client, self.download_url(ready_video, member) + "?x=1") == 403
        # while the ladder's own MP4 parts (fMP4 init segments) still play
        init = self.download_url(ready_video, member).replace("download.mp4", "240p/init.mp4")
        assert fetch(client, init) == 200

    def test_with_downloads_on_the_mp4_is_offered_and_served(
        self, client, org, member, ready_video
    ):
        _course, lesson = lesson_with(ready_video, audience=[org.branch_a], allow_download=True)
        client.force_login(member)

        html = client.get(lesson.url).content.decode()

        info = video_playback(user=member, video=ready_video)
        assert info.download_url and info.download_url in html
        assert fetch(client, info.download_url) == 200


class TestDemoServing:
    """In the demo (DEBUG, the dev settings' URL conf), media goes through the same
    protected view as in production; MEDIA_ROOT is not served, sources to nobody."""

    @pytest.fixture
    def debug_urls(self, settings):
        import importlib

        from django.urls import clear_url_caches

        import cms.urls

        settings.DEBUG = True
        importlib.reload(cms.urls)
        clear_url_caches()
        yield
        settings.DEBUG = False
        importlib.reload(cms.urls)
        clear_url_caches()

    def test_media_root_is_not_served_and_the_page_uses_the_protected_view(
        self, client, org, member, ready_video, debug_urls, django_user_model
    ):
        _course, lesson = lesson_with(ready_video, audience=[org.branch_a], allow_download=True)
        ladder = ready_video.rendition_dir
        direct = [
            ready_video.url,  # wagtailmedia's URL of the uploaded source
            "/media/" + ready_video.file.name,
            f"/media/{ladder}/master.m3u8",
            f"/media/{ladder}/240p/seg_00000.m4s",
            f"/media/{ladder}/download.mp4",
        ]
        boss = django_user_model.objects.create_superuser("boss", "boss@example.org", "x")
        for user in (None, member, boss):
            if user:
                client.force_login(user)
            assert [fetch(client, url) for url in direct] == [404] * len(direct), user

        client.force_login(member)
        html = client.get(lesson.url).content.decode()
        info = video_playback(user=member, video=ready_video)
        assert info.master_url.startswith("/media-files/v/") and info.master_url in html
        assert "/media/" + ladder not in html and ready_video.file.name not in html
        assert fetch(client, info.master_url) == 200

    def test_the_source_is_not_reachable_through_the_protected_view(
        self, client, org, member, ready_video, debug_urls
    ):
        lesson_with(ready_video, audience=[org.branch_a])
        info = video_playback(user=member, video=ready_video)
        client.force_login(member)
        depth = ready_video.rendition_dir.count("/") + 1
        sneaky = "/".join([".."] * depth) + "/" + ready_video.file.name

        assert fetch(client, info.master_url.replace("master.m3u8", sneaky)) in (403, 404)
