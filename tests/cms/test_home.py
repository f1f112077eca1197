"""The home page as a portal: blocks editors arrange, the public part, the member's strip
from the layers above (through hooks), the banner served by the page, and its weight."""

import gzip
import io
import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.test import Client
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file
from wagtail.rich_text import RichText

from cms import roles
from cms.models import HomePage, NoticeIndexPage, NoticePage
from courses.services import assignment_create, enrolment_create, lesson_progress_record
from exams.hours.selectors import member_year_hours
from exams.hours.services import attendance_record, study_session_create
from tests.courses.factories import make_course, make_lesson

pytestmark = pytest.mark.django_db

Image = get_image_model()
STATIC = Path(settings.BASE_DIR) / "static_src"
ORDINARY_BUDGET = 30 * 1024  # bench/page_weight.py: any member page that is not a course's


def banner_image(title: str = "Banner") -> Image:
    buffer = io.BytesIO()
    PILImage.new("RGB", (1200, 400), (179, 38, 30)).save(buffer, "PNG")
    return Image.objects.create(
        title=title, file=ImageFile(ContentFile(buffer.getvalue()), name="banner.png")
    )


@pytest.fixture
def world(org, member_factory):
    member_a = member_factory(org.branch_a, username="member_a")
    member_b = member_factory(org.branch_b, username="member_b")
    manager_a = member_factory(org.branch_a, role=roles.MANAGERS, username="manager_a")
    course_a = make_course("Course Kp1Alpha", audience=[org.branch_a], lessons=1)
    course_b = make_course("Course Kp1Bravo", audience=[org.branch_b], lessons=1)
    open_course = make_course("Course Kp1Open", lessons=1)
    index = NoticeIndexPage.objects.get(slug="notices")
    for title, units, pinned in (
        ("Notice Np1All", [], False),
        ("Notice Np1Pinned", [], True),
        ("Notice Np1Alpha", [org.branch_a], False),
        ("Notice Np1Bravo", [org.branch_b], False),
    ):
        notice = NoticePage(title=title, slug=title.lower().replace(" ", "-"), body="<p>x</p>")
        notice.pinned = pinned
        index.add_child(instance=notice)
        notice.audience_units.set(units)
        notice.save()
    image = banner_image()
    home = HomePage.objects.get()
    home.body = [
        ("banner", {"image": image, "heading": "Banner Bn1", "text": "", "link": None}),
        ("notices", {"heading": "Notices Hd1", "count": 5}),
        (
            "featured_courses",
            {"heading": "Featured Hd2", "courses": [course_b, course_a, open_course], "count": 4},
        ),
        ("text", RichText("<p>Rich Rt1</p>")),
    ]
    home.save_revision().publish()
    return type(
        "World",
        (),
        {
            "org": org,
            "member_a": member_a,
            "member_b": member_b,
            "manager_a": manager_a,
            "course_a": course_a,
            "course_b": course_b,
            "open_course": open_course,
            "image": image,
            "home": HomePage.objects.get(),
        },
    )


def english_client(user=None) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    if user is not None:
        client.force_login(user)
    return client


class TestPublicPart:
    def test_anonymous_visitors_see_the_blocks_public_notices_and_a_sign_in(self, world):
        html = english_client().get("/").content.decode()

        assert "Banner Bn1" in html and "Rich Rt1" in html and "Notices Hd1" in html
        # notices for everyone, pinned first; none meant for a branch
        assert html.index("Np1Pinned") < html.index("Np1All")
        assert "Np1Alpha" not in html and "Np1Bravo" not in html
        # no course is open to anonymous visitors, so the featured block shows nothing
        assert "Kp1" not in html and "Featured Hd2" not in html
        assert "/accounts/login/?next=/" in html
        assert 'class="home-strip"' not in html

    def test_the_banner_is_a_small_lazy_webp_served_to_anyone(self, world):
        client = english_client()
        html = client.get("/").content.decode()

        tag = re.search(r'<img src="(/banner/\d+/)"[^>]*>', html)
        assert tag is not None, html
        assert 'loading="lazy"' in tag.group(0) and 'width="720"' in tag.group(0)
        response = client.get(tag.group(1))
        assert response.status_code == 200
        assert response["Content-Type"] == "image/webp"
        body = b"".join(response.streaming_content)
        assert body[:4] == b"RIFF" and body[8:12] == b"WEBP"
        assert len(body) < 15 * 1024

    def test_only_the_pages_own_banners_are_served(self, world):
        other = Image.objects.create(title="Private", file=get_test_image_file())
        client = english_client()

        assert client.get(f"/banner/{other.pk}/").status_code == 404
        assert client.get("/banner/999999/").status_code == 404
        assert client.get("/banner/abc/").status_code == 404


class TestMemberStrip:
    def test_a_member_sees_their_hours_due_courses_and_where_to_continue(self, world):
        # given member A with credited hours, a course A due in 10 days, a lesson opened
        org = world.org
        session = study_session_create(
            unit=org.branch_a,
            topic="Session",
            date=date.today() - timedelta(days=1),
            duration_minutes=90,
            by=world.manager_a,
        )
        attendance_record(session=session, users=[world.member_a], by=world.manager_a)
        assignment_create(
            course=world.course_a,
            unit=org.branch_a,
            due_date=date.today() + timedelta(days=10),
            assigned_by=world.manager_a,
        )
        client = english_client(world.member_a)
        lesson = make_lesson(world.open_course, "Lesson Ls1")
        enrolment_create(user=world.member_a, course=world.open_course)
        lesson_progress_record(user=world.member_a, lesson=lesson, position_seconds=0)

        # when they open the home page
        html = client.get("/").content.decode()

        # then the strip shows each, with the figures of "My learning"
        strip = html[html.index('class="home-strip"') :]
        figure = re.search(r"<strong>([\d.]+)</strong> of 32 h", strip)
        hours = member_year_hours(user=world.member_a, year=date.today().year)
        assert hours > 0 and figure and Decimal(figure.group(1)) == hours
        due = (date.today() + timedelta(days=10)).isoformat()
        assert re.search(rf"Course Kp1Alpha</a> <small[^>]*>{due}</small>", strip)
        assert "Course Kp1Open · Lesson Ls1" in strip

    def test_featured_courses_are_those_the_visitor_may_see_in_the_editors_order(self, world):
        html_a = english_client(world.member_a).get("/").content.decode()
        html_b = english_client(world.member_b).get("/").content.decode()

        featured_a = html_a[html_a.index("Featured Hd2") :]
        assert "Kp1Bravo" not in featured_a
        assert featured_a.index("Kp1Alpha") < featured_a.index("Kp1Open")
        assert "Kp1Alpha" not in html_b and "Kp1Bravo" in html_b

    def test_a_member_reads_their_branchs_notices_and_never_anothers(self, world):
        html_a = english_client(world.member_a).get("/").content.decode()
        html_b = english_client(world.member_b).get("/").content.decode()

        assert "Np1Alpha" in html_a and "Np1Bravo" not in html_a
        assert "Np1Bravo" in html_b and "Np1Alpha" not in html_b

    def test_the_strip_is_empty_but_present_for_a_new_member(self, world, member_factory):
        newcomer = member_factory(world.org.west_branch, username="newcomer")

        response = english_client(newcomer).get("/")

        assert response.status_code == 200
        assert 'class="home-strip"' in response.content.decode()


class TestWeight:
    def test_a_members_home_page_stays_within_the_ordinary_page_budget(self, world):
        # given member A's home page, served gzip-compressed as on the 2G-class link
        response = english_client(world.member_a).get("/", HTTP_ACCEPT_ENCODING="gzip")
        body = response.content
        html = gzip.decompress(body) if response.get("Content-Encoding") == "gzip" else body
        wire = {"html": len(body) if response.get("Content-Encoding") else len(gzip.compress(body))}

        # then no script, and HTML plus its stylesheets gzip -9 stay within 30 KB
        text = html.decode()
        assert "<script" not in text
        for name in re.findall(r'href="/static/([^"]+\.css)"', text):
            wire[name] = len(gzip.compress((STATIC / name).read_bytes(), 9))
        assert "css/home.css" in wire
        assert sum(wire.values()) < ORDINARY_BUDGET, wire
