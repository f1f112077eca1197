from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from cms import roles
from cms.services import member_create
from courses.models import CourseAssignment, Enrolment, LessonProgress
from courses.selectors import member_learning
from courses.services import (
    assignment_create,
    assignment_withdraw,
    enrolment_create,
    enrolments_sync_for_members,
    lesson_progress_record,
)

from .factories import make_course, make_lesson

pytestmark = pytest.mark.django_db

DUE = date.today() + timedelta(days=30)


class TestAssign:
    def test_enrols_every_member_of_the_subtree_now_and_later(
        self, org, member_factory, manager_east
    ):
        # given members in the East subtree and one outside it
        course = make_course()
        a = member_factory(org.branch_a)
        b = member_factory(org.branch_b)
        west = member_factory(org.west_branch)
        self_enrolled = member_factory(org.branch_a)
        enrolment_create(user=self_enrolled, course=course)

        # when the East manager assigns the course to the district
        assignment = assignment_create(
            course=course, unit=org.east, due_date=DUE, assigned_by=manager_east
        )

        # then every East member is enrolled as required, the West one is not
        required = Enrolment.objects.filter(assignment=assignment, source="assignment")
        assert set(required.values_list("user", flat=True)) == {
            a.pk,
            b.pk,
            self_enrolled.pk,
            manager_east.pk,
        }
        assert not Enrolment.objects.filter(user=west).exists()
        assert Enrolment.objects.get(user=self_enrolled).due_date == DUE

        # and a member added later to the subtree is enrolled too
        later = member_create(username="later", full_name="Later", unit=org.branch_b)
        assert Enrolment.objects.get(user=later).assignment == assignment

    def test_bulk_sync_for_imported_members(self, org, member_factory, manager_east):
        course = make_course()
        assignment_create(course=course, unit=org.branch_a, due_date=DUE, assigned_by=manager_east)
        imported = [member_factory(org.branch_a), member_factory(org.branch_b)]

        assert enrolments_sync_for_members(user_ids=[u.pk for u in imported]) == 1
        assert enrolments_sync_for_members(user_ids=[u.pk for u in imported]) == 0
        assert Enrolment.objects.filter(user=imported[0]).exists()
        assert not Enrolment.objects.filter(user=imported[1]).exists()

    def test_manager_cannot_assign_outside_their_subtree(self, org, manager_east):
        course = make_course()
        with pytest.raises(PermissionDenied):
            assignment_create(course=course, unit=org.west, due_date=DUE, assigned_by=manager_east)
        assert not CourseAssignment.objects.exists()

    def test_unit_must_be_in_the_audience(self, org, manager_east):
        course = make_course(audience=[org.branch_b])
        with pytest.raises(ValidationError):
            assignment_create(
                course=course, unit=org.branch_a, due_date=DUE, assigned_by=manager_east
            )
        assert not CourseAssignment.objects.exists()

    def test_twice_is_refused(self, org, manager_east):
        course = make_course()
        assignment_create(course=course, unit=org.east, due_date=DUE, assigned_by=manager_east)
        with pytest.raises(ValidationError):
            assignment_create(course=course, unit=org.east, due_date=DUE, assigned_by=manager_east)
        assert CourseAssignment.objects.count() == 1


class TestWithdraw:
    def test_keeps_progress_and_stops_requiring(self, org, member, manager_east):
        # given an assigned course with some progress
        course = make_course()
        lesson = make_lesson(course)
        assignment = assignment_create(
            course=course, unit=org.east, due_date=DUE, assigned_by=manager_east
        )
        lesson_progress_record(user=member, lesson=lesson, position_seconds=40)

        # when
        assignment_withdraw(assignment=assignment, withdrawn_by=manager_east)

        # then
        enrolment = Enrolment.objects.get(user=member)
        assert not enrolment.is_required
        assert enrolment.due_date is None
        assert LessonProgress.objects.get(user=member).last_position_seconds == 40
        learning = member_learning(user=member)
        assert not learning.required
        assert [r.course for r in learning.in_progress] == [course]

    def test_another_covering_assignment_takes_over(self, org, member, manager_east):
        course = make_course()
        district = assignment_create(
            course=course, unit=org.east, due_date=DUE, assigned_by=manager_east
        )
        branch = assignment_create(
            course=course,
            unit=org.branch_a,
            due_date=DUE + timedelta(days=5),
            assigned_by=manager_east,
        )
        assert Enrolment.objects.get(user=member).assignment == district

        assignment_withdraw(assignment=district, withdrawn_by=manager_east)

        enrolment = Enrolment.objects.get(user=member)
        assert enrolment.is_required and enrolment.assignment == branch
        assert enrolment.due_date == branch.due_date


class TestMyLearning:
    def test_required_first_with_overdue_flagged(self, client, org, member, manager_east):
        # given one overdue and one future required course, and one self-enrolled
        late = make_course("Late course")
        soon = make_course("Soon course")
        mine = make_course("My own course")
        yesterday = date.today() - timedelta(days=1)
        with time_machine.travel(timezone.now() - timedelta(days=10), tick=False):
            # assigned ten days ago, due yesterday
            assignment_create(
                course=late, unit=org.east, due_date=yesterday, assigned_by=manager_east
            )
        assignment_create(course=soon, unit=org.branch_a, due_date=DUE, assigned_by=manager_east)
        enrolment_create(user=member, course=mine)
        client.force_login(member)

        # when
        response = client.get(reverse("courses:my_learning"))

        # then
        learning = response.context["learning"]
        assert [(r.course.title, r.overdue) for r in learning.required] == [
            ("Late course", True),
            ("Soon course", False),
        ]
        assert [r.course.title for r in learning.in_progress] == ["My own course"]
        html = response.content.decode()
        assert html.index("Late course") < html.index("My own course")
        assert 'class="badge late"' in html


class TestAssignmentAdmin:
    def test_manager_assigns_through_the_admin(self, client, org, member, manager_east):
        course = make_course()
        client.force_login(manager_east)
        url = reverse("courses_assignments:index")

        page = client.get(url)
        assert page.status_code == 200
        unit_choices = {u.pk for u in page.context["form"].fields["unit"].queryset}
        assert org.west.pk not in unit_choices and org.branch_a.pk in unit_choices

        response = client.post(
            url, {"course": course.pk, "unit": org.branch_a.pk, "due_date": DUE.isoformat()}
        )
        assert response.status_code == 302
        assert Enrolment.objects.get(user=member).is_required

    def test_unit_outside_the_subtree_is_refused_and_nothing_written(
        self, client, org, member_factory, manager_east
    ):
        course = make_course()
        member_factory(org.west_branch)
        client.force_login(manager_east)

        response = client.post(
            reverse("courses_assignments:index"),
            {"course": course.pk, "unit": org.west.pk, "due_date": DUE.isoformat()},
        )

        assert response.status_code == 400
        assert response.context["form"].errors["unit"]
        assert [str(m) for m in response.context["messages"]]
        assert not CourseAssignment.objects.exists()
        assert not Enrolment.objects.exists()

    def test_withdraw_through_the_admin_only_in_scope(self, client, org, member_factory):
        course = make_course()
        west_manager = member_factory(org.west, role=roles.MANAGERS)
        east_manager = member_factory(org.east, role=roles.MANAGERS)
        assignment = assignment_create(
            course=course, unit=org.west_branch, due_date=DUE, assigned_by=west_manager
        )
        withdraw = reverse("courses_assignments:withdraw", args=[assignment.pk])

        client.force_login(east_manager)
        assert client.post(withdraw).status_code == 404
        client.force_login(west_manager)
        assert client.post(withdraw).status_code == 302
        assignment.refresh_from_db()
        assert assignment.withdrawn_at is not None

    @pytest.mark.parametrize("role", [roles.MEMBERS, roles.TRAINERS])
    def test_members_and_trainers_cannot_open_it(self, client, org, member_factory, role):
        # given a member or a trainer of the district, and a course a manager could assign
        course = make_course()
        client.force_login(member_factory(org.east, role=role))
        index = reverse("courses_assignments:index")

        # when they open the assignment screen and post an assignment
        shown = client.get(index)
        posted = client.post(
            index, {"course": course.pk, "unit": org.east.pk, "due_date": DUE.isoformat()}
        )

        # then both are refused (a member has no admin: to the login page; a trainer: to
        # the dashboard with an error) and nothing is assigned
        refused_to = {
            roles.MEMBERS: reverse("wagtailadmin_login") + "?next=" + index,
            roles.TRAINERS: reverse("wagtailadmin_home"),
        }[role]
        for response in (shown, posted):
            assert response.status_code == 302
            assert response.url == refused_to
        assert not CourseAssignment.objects.exists()
        assert not Enrolment.objects.exists()


class TestDueDates:
    """A due date members can meet, changed without revoking; revoking confirmed and logged."""

    def test_a_past_due_date_is_refused_by_the_service_and_the_form(
        self, client, org, manager_east
    ):
        course = make_course()
        yesterday = date.today() - timedelta(days=1)
        with translation.override("en"), pytest.raises(ValidationError) as refused:
            assignment_create(
                course=course, unit=org.east, due_date=yesterday, assigned_by=manager_east
            )
        assert refused.value.messages == ["The due date must be today or later."]
        client.force_login(manager_east)
        client.cookies["django_language"] = "en"
        response = client.post(
            reverse("courses_assignments:index"),
            {"course": course.pk, "unit": org.east.pk, "due_date": yesterday.isoformat()},
        )
        assert response.status_code == 400
        assert response.context["form"].errors["due_date"] == [
            "The due date must be today or later."
        ]
        assert not CourseAssignment.objects.exists()
        today = assignment_create(
            course=course, unit=org.east, due_date=date.today(), assigned_by=manager_east
        )
        assert today.due_date == date.today()

    def test_change_the_due_date_moves_open_enrolments_and_is_logged(
        self, client, org, member_factory, manager_east
    ):
        from wagtail.models import ModelLogEntry

        course = make_course()
        done, pending = member_factory(org.branch_a), member_factory(org.branch_a)
        assignment = assignment_create(
            course=course, unit=org.branch_a, due_date=DUE, assigned_by=manager_east
        )
        Enrolment.objects.filter(user=done).update(completed_at="2026-01-10T08:00:00Z")
        later = DUE + timedelta(days=14)
        client.force_login(manager_east)
        edit = reverse("courses_assignments:edit", args=[assignment.pk])
        assert client.get(edit).status_code == 200
        assert client.post(edit, {"due_date": later.isoformat()}).status_code == 302
        assignment.refresh_from_db()
        assert assignment.due_date == later
        assert Enrolment.objects.get(user=pending).due_date == later
        assert Enrolment.objects.get(user=done).due_date == DUE  # measured against the old one
        entry = ModelLogEntry.objects.get(action="courses.assignment_rescheduled")
        assert entry.user == manager_east
        assert entry.data["due_date_before"] == DUE.isoformat()
        assert entry.data["due_date"] == later.isoformat()

    def test_change_refuses_the_past_garbage_and_other_units(
        self, client, org, member_factory, manager_east
    ):
        course = make_course()
        west_manager = member_factory(org.west, role=roles.MANAGERS)
        west = assignment_create(
            course=course, unit=org.west_branch, due_date=DUE, assigned_by=west_manager
        )
        east = assignment_create(
            course=course, unit=org.branch_a, due_date=DUE, assigned_by=manager_east
        )
        client.force_login(manager_east)
        client.cookies["django_language"] = "en"
        edit = reverse("courses_assignments:edit", args=[east.pk])
        for bad in ["", "not-a-date", (date.today() - timedelta(days=3)).isoformat()]:
            assert client.post(edit, {"due_date": bad}).status_code == 400
        east.refresh_from_db()
        assert east.due_date == DUE
        other = reverse("courses_assignments:edit", args=[west.pk])
        assert client.get(other).status_code == 404
        assert client.post(other, {"due_date": DUE.isoformat()}).status_code == 404
        assignment_withdraw(assignment=east, withdrawn_by=manager_east)
        assert client.post(edit, {"due_date": DUE.isoformat()}).status_code == 404

    def test_withdraw_asks_first_then_withdraws_and_logs(
        self, client, org, member_factory, manager_east
    ):
        from wagtail.models import ModelLogEntry

        course = make_course()
        member_factory(org.branch_a)
        assignment = assignment_create(
            course=course, unit=org.branch_a, due_date=DUE, assigned_by=manager_east
        )
        client.force_login(manager_east)
        client.cookies["django_language"] = "en"
        withdraw = reverse("courses_assignments:withdraw", args=[assignment.pk])
        page = client.get(withdraw)
        assert page.status_code == 200
        assert "Yes, withdraw" in page.content.decode()
        assignment.refresh_from_db()
        assert assignment.withdrawn_at is None  # asking changes nothing
        assert client.post(withdraw).status_code == 302
        assignment.refresh_from_db()
        assert assignment.withdrawn_at is not None
        entry = ModelLogEntry.objects.get(action="courses.assignment_withdrawn")
        assert entry.user == manager_east and entry.data["open_enrolments"] == 1
        assert client.get(withdraw).status_code == 404  # already withdrawn

    def test_the_log_of_an_assignment_is_scoped(self, client, org, member_factory, manager_east):
        from wagtail.models import ModelLogEntry

        from cms.admin_views.audit import audit_log_scopes, scoped_log_filter

        course = make_course()
        west_manager = member_factory(org.west, role=roles.MANAGERS)
        assignment_create(
            course=course, unit=org.west_branch, due_date=DUE, assigned_by=west_manager
        )
        assignment_create(course=course, unit=org.branch_a, due_date=DUE, assigned_by=manager_east)
        assert ModelLogEntry.objects.filter(action="courses.assignment_created").count() == 2
        scope = scoped_log_filter(user=manager_east, scopes=audit_log_scopes())
        visible = ModelLogEntry.objects.filter(scope, action="courses.assignment_created")
        assert [e.user for e in visible] == [manager_east]
