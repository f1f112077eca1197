import pytest
from django.urls import reverse

from cms import roles
from courses.selectors import course_visible_to, courses_visible_to, lesson_visible_to

from .factories import make_course, make_lesson

pytestmark = pytest.mark.django_db


@pytest.fixture
def east_course(org):
    """A course for the East district and everything below it."""
    course = make_course("East only", audience=[org.east])
    return course, make_lesson(course, "East lesson")


class TestAudience:
    @pytest.mark.parametrize("unit_name", ["east", "branch_a", "branch_b"])
    def test_members_of_the_unit_and_below_see_it(
        self, org, member_factory, east_course, unit_name
    ):
        course, lesson = east_course
        user = member_factory(getattr(org, unit_name))

        assert course_visible_to(user=user, course=course)
        assert lesson_visible_to(user=user, lesson=lesson)

    @pytest.mark.parametrize("unit_name", ["province", "west", "west_branch"])
    def test_parent_and_sibling_units_do_not(self, org, member_factory, east_course, unit_name):
        course, lesson = east_course
        user = member_factory(getattr(org, unit_name))

        assert not course_visible_to(user=user, course=course)
        assert not lesson_visible_to(user=user, lesson=lesson)
        assert course not in courses_visible_to(user=user)

    def test_everyone_course_is_visible_to_all(self, org, member_factory):
        course = make_course("For all")
        user = member_factory(org.west_branch)
        assert course_visible_to(user=user, course=course)

    def test_trainers_and_superusers_see_every_live_course(self, org, member_factory, east_course):
        course, lesson = east_course
        trainer = member_factory(org.west, role=roles.TRAINERS)
        admin = member_factory(org.west, is_superuser=True)
        assert course_visible_to(user=trainer, course=course)
        assert lesson_visible_to(user=admin, lesson=lesson)

    def test_unpublished_lesson_and_course_are_hidden(self, org, member_factory, east_course):
        course, lesson = east_course
        user = member_factory(org.branch_a)
        lesson.unpublish()
        assert not lesson_visible_to(user=user, lesson=lesson)
        course.unpublish()
        assert not course_visible_to(user=user, course=course)


class TestPagesAndCatalogue:
    @pytest.mark.parametrize("unit_name", ["province", "west"])
    def test_parent_or_sibling_member_gets_404_and_no_listing(
        self, client, org, member_factory, east_course, unit_name
    ):
        # given a course for the East district and a member of its parent or sibling
        course, lesson = east_course
        client.force_login(member_factory(getattr(org, unit_name)))

        # when they open the course, the lesson, the catalogue and a search
        course_response = client.get(course.url)
        lesson_response = client.get(lesson.url)
        catalogue = client.get(reverse("courses:catalogue")).content.decode()
        search = client.get(reverse("courses:catalogue"), {"q": "East"}).content.decode()
        section = client.get(course.get_parent().url).content.decode()

        # then
        assert course_response.status_code == 404
        assert lesson_response.status_code == 404
        assert "East only" not in catalogue
        assert "East only" not in search
        assert "East only" not in section

    def test_member_below_gets_the_pages(self, client, org, member_factory, east_course):
        course, lesson = east_course
        client.force_login(member_factory(org.branch_b))

        assert client.get(course.url).status_code == 200
        assert client.get(lesson.url).status_code == 200
        assert "East only" in client.get(reverse("courses:catalogue")).content.decode()

    def test_anonymous_is_sent_to_login(self, client, east_course):
        course, lesson = east_course
        for url in (
            course.url,
            lesson.url,
            reverse("courses:catalogue"),
            reverse("courses:my_learning"),
        ):
            response = client.get(url)
            assert response.status_code == 302
            assert reverse("login") in response["Location"]

    def test_cannot_enrol_in_a_course_one_may_not_see(
        self, client, org, member_factory, east_course
    ):
        course, _lesson = east_course
        user = member_factory(org.west)
        client.force_login(user)

        response = client.post(reverse("courses:enrol", args=[course.pk]))

        assert response.status_code == 404
        assert not course.enrolments.exists()
