"""Course covers: a chosen image as small WebP renditions, else the first lecture's poster,
else a CSS placeholder; served only to those who may see the course."""

import re
import subprocess
from pathlib import Path

import pytest
from django.core.files import File
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.images import get_image_model
from wagtail.images.widgets import AdminImageChooser

from cms import roles
from courses.covers import COVER_FILTER_SPECS, COVER_MAX_BYTES, course_covers
from courses.models import CoursePage
from media_pipeline import services
from media_pipeline.models import LectureVideo

from .factories import make_course, make_lesson

pytestmark = pytest.mark.django_db


def ffmpeg(*args: str) -> None:
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args], check=True
    )


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(scope="module")
def pictures(tmp_path_factory) -> dict[str, Path]:
    """Full HD pictures made at run time: a detailed one with photographic grain, and pure
    noise that no WebP quality brings within budget at full size."""
    folder = tmp_path_factory.mktemp("covers")
    made = {
        "detailed": (folder / "detailed.png", "mandelbrot=s=1920x1080,noise=alls=12:allf=t"),
        "noise": (folder / "noise.png", "gradients=s=1920x1080,noise=alls=40:allf=t"),
    }
    for path, source in made.values():
        ffmpeg("-f", "lavfi", "-i", source, "-frames:v", "1", str(path))
    return {name: path for name, (path, _source) in made.items()}


def make_image(path: Path):
    with open(path, "rb") as fh:
        return get_image_model().objects.create(title=path.stem, file=File(fh, name=path.name))


@pytest.fixture
def member(org, member_factory):
    return member_factory(org.branch_a, username="member_a")


@pytest.fixture
def outsider(org, member_factory):
    return member_factory(org.west_branch, username="member_w")


def render_cover(client, user, course, place="card") -> str:
    """The cover include as the course page's header or a card renders it."""
    from django.template import Context, Template
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user
    template = Template("{% load course_covers %}{% course_cover course place %}")
    return template.render(Context({"request": request, "course": course, "place": place}))


def srcset_urls(html: str) -> list[tuple[str, int]]:
    srcset = re.search(r'srcset="([^"]+)"', html).group(1)
    return [(url, int(width[:-1])) for url, width in (part.split() for part in srcset.split(", "))]


def body_of(response) -> bytes:
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content)
    return response.content


class TestChosenImage:
    @pytest.mark.parametrize("picture", ["detailed", "noise"])
    def test_renditions_are_webp_within_budget_at_phone_width(
        self, client, org, member, pictures, picture
    ):
        # given a course whose trainer chose a full HD cover
        course = make_course(audience=[org.branch_a], cover=make_image(pictures[picture]))
        make_lesson(course)

        # when a member's page renders it
        html = render_cover(client, member, course)

        # then it is lazy, sized, with a srcset for 1× and 2× phone widths
        assert 'loading="lazy"' in html and 'sizes="' in html
        assert re.search(r'width="\d+" height="\d+"', html)
        urls = srcset_urls(html)
        assert [width for _url, width in urls][-1] <= 720
        assert len(urls) == 2

        # and every rendition the member may fetch is a WebP within budget
        client.force_login(member)
        for url, _width in urls:
            response = client.get(url)
            data = body_of(response)
            assert response.status_code == 200
            assert response["Content-Type"] == "image/webp"
            assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
            assert len(data) <= COVER_MAX_BYTES, (url, len(data))

    def test_cover_is_served_only_to_who_may_see_the_course(
        self, client, org, member, outsider, pictures
    ):
        course = make_course(audience=[org.branch_a], cover=make_image(pictures["detailed"]))
        make_lesson(course)
        urls = [url for url, _width in srcset_urls(render_cover(client, member, course))]

        anonymous = [client.get(url).status_code for url in urls]
        client.force_login(outsider)
        other_branch = [client.get(url).status_code for url in urls]

        assert anonymous == [404, 404]
        assert other_branch == [404, 404]

    def test_trainers_choose_it_with_the_image_chooser(self, client, org, member_factory):
        course = make_course(credit_hours=0)
        client.force_login(member_factory(org.province, role=roles.TRAINERS))

        response = client.get(reverse("wagtailadmin_pages:edit", args=(course.pk,)))

        assert response.status_code == 200
        assert isinstance(response.context["form"].fields["cover"].widget, AdminImageChooser)


@pytest.mark.ffmpeg
class TestFirstLectureFrame:
    @pytest.fixture
    def ready_video(self, tmp_path):
        clip = tmp_path / "lecture.mp4"
        ffmpeg("-f", "lavfi", "-i", "testsrc2=s=640x360:r=25:d=2",
               "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=2",
               "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
               "-c:a", "aac", "-shortest", str(clip))  # fmt: skip
        with open(clip, "rb") as fh:
            video = LectureVideo(title="Lecture", type="video")
            video.file.save(clip.name, File(fh))
        services.video_transcode(video_id=video.pk)
        video.refresh_from_db()
        assert video.is_ready
        return video

    def test_without_a_chosen_image_the_first_lecture_poster_is_the_cover(
        self, client, org, member, outsider, ready_video
    ):
        # given a course without a cover, whose second lesson is its first lecture
        course = make_course(audience=[org.branch_a])
        make_lesson(course)
        make_lesson(course, body=[("lecture_video", {"video": ready_video, "caption": ""})])

        # when it renders for a member
        html = render_cover(client, member, course, "header")

        # then the cover is the lecture's poster, lazy and sized, a small WebP
        src = re.search(r'src="([^"]+)"', html).group(1)
        assert "/media-files/" in src and 'loading="lazy"' in html and 'width="' in html
        client.force_login(member)
        response = client.get(src)
        data = body_of(response)
        assert response.status_code == 200
        assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
        assert len(data) <= COVER_MAX_BYTES
        # and its signed URL is the member's own: another member is refused
        client.force_login(outsider)
        assert client.get(src).status_code in (403, 404)


class TestMemberPages:
    def test_catalogue_cards_and_course_header_show_the_cover(self, client, org, member, pictures):
        course = make_course(audience=[org.branch_a], cover=make_image(pictures["detailed"]))
        make_lesson(course)
        plain = make_course(audience=[org.branch_a])
        make_lesson(plain)
        client.force_login(member)

        catalogue = client.get(reverse("courses:catalogue")).content.decode()
        header = client.get(course.url).content.decode()

        card = re.search(r'<img class="cover cover-card"[^>]+>', catalogue).group(0)
        assert 'loading="lazy"' in card and " 720w" in card and 'width="360"' in card
        assert "cover-card cover-none" in catalogue  # the course without a cover
        top = re.search(r'<img class="cover cover-header"[^>]+>', header).group(0)
        assert 'sizes="(max-width: 47rem) calc(100vw - 2rem), 720px"' in top


class TestPlaceholder:
    def test_no_image_and_no_lecture_costs_no_request(self, client, member, org):
        course = make_course(audience=[org.branch_a])
        make_lesson(course)

        html = render_cover(client, member, course)

        assert "<img" not in html and "url(" not in html
        assert 'class="cover cover-card cover-none"' in html


class TestQueries:
    def test_covers_of_a_page_of_courses_cost_the_same_for_3_and_for_20(
        self, org, member, pictures
    ):
        image = make_image(pictures["detailed"])

        def courses(n: int) -> list[CoursePage]:
            made = []
            for i in range(n):
                course = make_course(cover=image if i % 2 else None)
                make_lesson(course)
                made.append(course)
            return list(CoursePage.objects.filter(pk__in=[c.pk for c in made]))

        few, many = courses(3), courses(20)
        course_covers(user=member, courses=few)  # renditions made once, then stored
        with CaptureQueriesContext(connection) as with_3:
            covers_3 = course_covers(user=member, courses=few)
        with CaptureQueriesContext(connection) as with_20:
            covers_20 = course_covers(user=member, courses=many)

        assert len(with_20) <= len(with_3) <= 4
        assert {c.kind for c in covers_20.values()} == {"image", "none"}
        assert len(covers_3) == 3


def test_the_filter_specs_fit_phone_widths():
    assert (
        f"fill-360x202|webpbudget-{COVER_MAX_BYTES}",
        f"fill-720x405|webpbudget-{COVER_MAX_BYTES}",
    ) == COVER_FILTER_SPECS
