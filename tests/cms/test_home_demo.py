"""The demo's home page: its blocks and two notices, one pinned for everyone, one for a
branch, seeded once whatever the number of runs."""

import io

import pytest
from django.urls import reverse

from cms import demo as cms_demo
from cms.models import HomePage, NoticePage
from courses import demo as courses_demo

pytestmark = pytest.mark.django_db


def log_in(client, username: str) -> None:
    """Through the login page: authentication needs the request (login throttling)."""
    client.logout()
    response = client.post(reverse("login"), {"username": username, "password": "demo12345"})
    assert response.status_code == 302


def test_the_demo_home_page_has_blocks_and_two_notices_once(settings):
    settings.DEMO_PASSWORD = "demo12345"
    out = io.StringIO()
    cms_demo.seed(stdout=out)
    cms_demo.seed(stdout=out)

    home = HomePage.objects.get()
    assert [block.block_type for block in home.body] == [
        "banner",
        "member_strip",
        "notices",
        "featured_courses",
        "text",
    ]
    notices = NoticePage.objects.live()
    assert notices.count() == 2
    pinned = notices.get(pinned=True)
    assert not pinned.audience_units.exists()
    branch = notices.get(pinned=False)
    assert [unit.code for unit in branch.audience_units.all()] == ["BR-E1"]


def test_members_see_the_notices_for_them_and_the_demo_courses(client, settings):
    settings.DEMO_PASSWORD = "demo12345"
    out = io.StringIO()
    cms_demo.seed(stdout=out)
    courses_demo.seed(stdout=out)
    branch_notice = NoticePage.objects.get(slug="br-e1-meeting")

    log_in(client, "member1")  # branch BR-E1
    html = client.get("/").content.decode()
    assert branch_notice.title in html
    assert "基层党建信息化建设" in html  # a featured course (the newest, none chosen)
    assert 'class="home-strip"' in html

    log_in(client, "member4")  # branch BR-E2
    html = client.get("/").content.decode()
    assert branch_notice.title not in html
    assert client.get(branch_notice.url).status_code == 404

    client.logout()
    html = client.get("/").content.decode()
    assert "关于开展年度学习计划的通知" in html and branch_notice.title not in html
    banner = client.get("/").content.decode().split('<img src="', 1)[1].split('"', 1)[0]
    response = client.get(banner)
    assert response["Content-Type"] == "image/webp"
    assert len(b"".join(response.streaming_content)) <= 15 * 1024  # as a cover's budget


def test_an_administrator_edits_the_home_page_and_adds_a_notice(client, settings):
    from tests.factories import UserFactory

    cms_demo.seed(stdout=io.StringIO())
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    home = HomePage.objects.get()

    assert client.get(reverse("wagtailadmin_pages:edit", args=(home.pk,))).status_code == 200
    index = NoticePage.objects.first().get_parent()
    add = reverse("wagtailadmin_pages:add", args=("cms", "noticepage", index.pk))
    assert client.get(add).status_code == 200
