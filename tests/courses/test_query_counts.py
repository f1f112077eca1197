import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file

from courses.services import enrolment_create, lesson_complete, lesson_progress_record

from .factories import make_course, make_lesson

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_search_index_updates(settings):
    """Building hundreds of pages: skip the search index (on PostgreSQL Wagtail's database
    backend refreshes every title norm on each save, minutes for this test)."""
    settings.WAGTAILSEARCH_BACKENDS = {
        "default": {"BACKEND": "wagtail.search.backends.database", "AUTO_UPDATE": False}
    }


def queries_for(client, url: str) -> int:
    client.get(url)  # warm: renditions generated, site root paths cached
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx)


def add_courses(n: int, member, covers) -> None:
    for i in range(n):
        course = make_course(f"Course {i}", cover=covers[i % len(covers)])
        course.tags.add("tag")
        course.save()
        lesson = make_lesson(course)
        make_lesson(course)
        if i % 2 == 0:
            enrolment_create(user=member, course=course)
            lesson_complete(user=member, lesson=lesson)


@pytest.fixture
def covers():
    Image = get_image_model()
    return [
        Image.objects.create(title=f"cover {i}", file=get_test_image_file(f"cover{i}.png"))
        for i in range(2)
    ]


def test_catalogue_queries_do_not_grow_with_courses(
    client, org, member, covers, django_assert_max_num_queries
):
    # given 10 courses
    client.force_login(member)
    add_courses(10, member, covers)
    url = reverse("courses:catalogue")
    with_10 = queries_for(client, url)

    # when there are 200
    add_courses(190, member, covers)

    # then the catalogue (first page and a later one, and a search) costs the same
    client.get(url)
    with django_assert_max_num_queries(with_10):
        assert client.get(url).status_code == 200
    assert queries_for(client, url + "?page=5") <= with_10
    assert queries_for(client, url + "?q=Course") <= with_10
    print(f"catalogue: {with_10} queries for 10 courses and for 200")


def test_course_page_queries_do_not_grow_with_lessons(
    client, org, member, django_assert_max_num_queries
):
    # given a course with 5 lessons, partly done
    course = make_course(enforce_order=True)
    lessons = [make_lesson(course) for _ in range(5)]
    enrolment_create(user=member, course=course)
    lesson_complete(user=member, lesson=lessons[0])
    lesson_progress_record(user=member, lesson=lessons[1])
    client.force_login(member)
    with_5 = queries_for(client, course.url)

    # when it has 50
    for _ in range(45):
        make_lesson(course)

    # then
    client.get(course.url)
    with django_assert_max_num_queries(with_5):
        response = client.get(course.url)
    assert len(response.context["progress"].lessons) == 50
    print(f"course page: {with_5} queries for 5 lessons and for 50")
