from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

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
        assignment_create(
            course=late,
            unit=org.east,
            due_date=date.today() - timedelta(days=1),
            assigned_by=manager_east,
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
