"""Helpers of the browser tests; the ``browser`` fixture itself is in tests/conftest.py."""

import shutil
import time
from collections.abc import Callable

import pytest


@pytest.fixture(scope="session")
def ffmpeg_bin():
    path = shutil.which("ffmpeg")
    if not path:
        pytest.skip("ffmpeg is not installed")
    return path


def close_quietly(context, count: Callable[[], int], *, settle: float = 0.75) -> None:
    """Close ``context`` and wait until the beats it sends on its way out (pagehide,
    sendBeacon) have been handled, so that no request of the live server still holds a
    lock when the test database is flushed (a deadlock on PostgreSQL otherwise)."""
    for page in context.pages:
        page.goto("about:blank")
    context.close()
    deadline = time.monotonic() + 5
    seen, since = count(), time.monotonic()
    while time.monotonic() - since < settle and time.monotonic() < deadline:
        time.sleep(0.1)
        now = count()
        if now != seen:
            seen, since = now, time.monotonic()


def course_section():
    """The course section (made by a data migration), rebuilt when an earlier transactional
    test has flushed the migrations' rows: the live server needs real commits, and
    ``serialized_rollback`` breaks once another transactional test has flushed without it
    (its content types come back under new ids)."""
    from django.conf import settings
    from wagtail.models import Collection, Locale, Page, Site

    from courses.models import CourseIndexPage

    section = CourseIndexPage.objects.filter(slug="courses").first()
    if not Collection.objects.exists():
        Collection.add_root(name="Root")
    if section is not None:
        return section
    Locale.objects.get_or_create(language_code=settings.LANGUAGE_CODE)
    root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root"))
    section = root.add_child(instance=CourseIndexPage(title="Courses", slug="courses"))
    Site.objects.all().delete()
    Site.objects.create(hostname="localhost", port=80, root_page=root, is_default_site=True)
    return section
