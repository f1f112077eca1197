import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from courses.models import Enrolment
from courses.services import enrolment_create

from .factories import make_course

pytestmark = pytest.mark.django_db


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


class TestEnrolService:
    def test_enrols_once(self, org, member):
        course = make_course()

        enrolment = enrolment_create(user=member, course=course)

        assert enrolment.source == Enrolment.Source.SELF
        with pytest.raises(ValidationError) as exc:
            enrolment_create(user=member, course=course)
        assert exc.value.code == "already"
        assert Enrolment.objects.count() == 1

    def test_refuses_invisible_course(self, org, member_factory):
        course = make_course(audience=[org.west])
        user = member_factory(org.branch_a)
        with pytest.raises(ValidationError) as exc:
            enrolment_create(user=user, course=course)
        assert exc.value.code == "not_visible"
        assert not Enrolment.objects.exists()


class TestEnrolView:
    def test_one_click_then_course_page_shows_progress(self, client, org, member):
        # given
        course = make_course(lessons=2)
        client.force_login(member)

        # when
        response = client.post(reverse("courses:enrol", args=[course.pk]), follow=True)

        # then
        assert response.redirect_chain[-1][0] == course.url
        assert Enrolment.objects.filter(user=member, course=course).exists()
        assert response.context["progress"].is_enrolled
        assert len(_messages(response)) == 1

    def test_twice_is_refused_with_a_message_and_changes_nothing(self, client, org, member):
        course = make_course()
        client.force_login(member)
        client.post(reverse("courses:enrol", args=[course.pk]))
        before = list(Enrolment.objects.values())

        response = client.post(reverse("courses:enrol", args=[course.pk]), follow=True)

        assert list(Enrolment.objects.values()) == before
        assert any("already enrolled" in m or "已" in m for m in _messages(response))

    def test_get_is_not_allowed(self, client, org, member):
        course = make_course()
        client.force_login(member)
        assert client.get(reverse("courses:enrol", args=[course.pk])).status_code == 405
        assert not Enrolment.objects.exists()

    def test_csrf_is_required(self, org, member):
        from django.test import Client

        course = make_course()
        client = Client(enforce_csrf_checks=True)
        client.force_login(member)
        assert client.post(reverse("courses:enrol", args=[course.pk])).status_code == 403
        assert not Enrolment.objects.exists()
