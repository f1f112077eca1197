"""Handouts, images and uploaded sources: served only to those who may see the course."""

import importlib

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import clear_url_caches
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file

from cms import roles
from media_pipeline.models import LectureVideo
from tests.courses.factories import make_course, make_lesson
from tests.factories import UserFactory

Document = get_document_model()
Image = get_image_model()

HANDOUT = b"Handout of branch A\n"


def _document(title: str, content: bytes = HANDOUT) -> Document:
    document = Document(title=title)
    document.file.save("handout.txt", ContentFile(content), save=False)
    document.save()
    return document


@pytest.fixture
def course_a(org):
    return make_course("Course of branch A", audience=[org.branch_a])


@pytest.fixture
def handout(course_a):
    document = _document("Handout A")
    make_lesson(course_a, body=[("document", {"document": document, "title": ""})])
    return document


@pytest.fixture
def member_b(org, member_factory):
    return member_factory(org.branch_b, username="member_b")


@pytest.fixture
def trainer(org, member_factory):
    return member_factory(org.province, role=roles.TRAINERS, username="trainer")


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


@pytest.fixture(autouse=True)
def _fresh_rendition_cache():
    """Wagtail caches renditions by image id, and ids come back after a rolled-back test."""
    cache.clear()


def _get(client, user, url):
    if user is not None:
        client.force_login(user)
    return client.get(url)


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


class TestHandout:
    def test_anonymous_is_sent_to_log_in(self, client, handout):
        response = client.get(handout.url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")

    def test_member_of_the_audience_gets_the_file(self, client, member, handout):
        response = _get(client, member, handout.url)
        assert response.status_code == 200
        assert _body(response) == HANDOUT

    def test_member_of_another_branch_gets_404(self, client, member_b, handout):
        assert _get(client, member_b, handout.url).status_code == 404

    @pytest.mark.parametrize("who", ["trainer", "superuser"])
    def test_trainer_and_superuser_get_the_file(self, client, request, who, handout):
        response = _get(client, request.getfixturevalue(who), handout.url)
        assert response.status_code == 200
        assert _body(response) == HANDOUT

    def test_a_course_for_everyone_serves_every_member(self, client, member_b):
        document = _document("Open handout")
        make_lesson(make_course(), body=[("document", {"document": document, "title": ""})])
        assert _get(client, member_b, document.url).status_code == 200

    def test_a_draft_lesson_does_not_publish_its_handout(self, client, member, course_a):
        document = _document("Draft handout")
        lesson = make_lesson(course_a, body=[("document", {"document": document, "title": ""})])
        lesson.unpublish()
        assert _get(client, member, document.url).status_code == 404

    def test_a_handout_linked_from_rich_text_counts(self, client, member, member_b, course_a):
        document = _document("Linked handout")
        link = f'<p><a linktype="document" id="{document.pk}">handout</a></p>'
        make_lesson(course_a, body=[("text", link)])
        assert _get(client, member, document.url).status_code == 200
        client.logout()
        assert _get(client, member_b, document.url).status_code == 404


class TestUnreferencedDocument:
    """A document no live course page uses is not published: editors and trainers only."""

    @pytest.fixture
    def loose(self, db):
        return _document("Not in any course")

    def test_anonymous_is_sent_to_log_in(self, client, loose):
        assert client.get(loose.url).status_code == 302

    def test_member_gets_404(self, client, member, loose):
        assert _get(client, member, loose.url).status_code == 404

    def test_trainer_gets_the_file(self, client, trainer, loose):
        assert _get(client, trainer, loose.url).status_code == 200


class TestImages:
    FILTER = "width-100|format-webp"

    @pytest.fixture
    def picture(self, course_a):
        image = Image.objects.create(title="Diagram", file=get_test_image_file())
        make_lesson(course_a, body=[("image", {"image": image, "caption": ""})])
        return image

    def test_lesson_image_only_for_the_audience(self, client, member, member_b, picture):
        url = picture.get_rendition(self.FILTER).url
        assert client.get(url).status_code == 404
        response = _get(client, member, url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/webp"
        assert "private" in response["Cache-Control"]
        client.logout()
        assert _get(client, member_b, url).status_code == 404

    def test_cover_follows_its_course(self, client, member, member_b, org):
        image = Image.objects.create(title="Cover", file=get_test_image_file())
        course = make_course(audience=[org.branch_a], cover=image)
        assert course.cover_id == image.pk
        url = image.get_rendition(self.FILTER).url
        assert _get(client, member, url).status_code == 200
        client.logout()
        assert _get(client, member_b, url).status_code == 404

    def test_original_images_are_never_served(self, client, superuser, picture):
        assert _get(client, superuser, "/media/" + picture.file.name).status_code == 404

    def test_unreferenced_image_only_for_trainers(self, client, member, trainer, db):
        image = Image.objects.create(title="Loose", file=get_test_image_file())
        url = image.get_rendition(self.FILTER).url
        assert _get(client, member, url).status_code == 404
        assert _get(client, trainer, url).status_code == 200


class TestSourcesAndMediaRoot:
    @pytest.fixture
    def source(self, db):
        name = default_storage.save("media/source.mp4", ContentFile(b"\x00" * 64))
        return LectureVideo.objects.create(title="Source", type="video", file=name)

    def _never_served(self, client, users, source, handout):
        for user in users:
            if user is not None:
                client.force_login(user)
            for url in (
                source.url,
                "/media/" + source.file.name,
                "/media/" + handout.file.name,
            ):
                assert client.get(url).status_code == 404, (user, url)

    def test_not_served_in_the_test_settings(
        self, client, member, superuser, source, handout, settings
    ):
        assert not settings.DEBUG
        self._never_served(client, [None, member, superuser], source, handout)

    def test_not_served_with_debug_either(self, client, member, source, handout, settings):
        """The dev settings (DEBUG) use the same URL conf: it must not add MEDIA_ROOT."""
        import cms.urls

        settings.DEBUG = True
        try:
            importlib.reload(cms.urls)
            clear_url_caches()
            self._never_served(client, [None, member], source, handout)
        finally:
            settings.DEBUG = False
            importlib.reload(cms.urls)
            clear_url_caches()
