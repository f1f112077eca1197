"""Rights around credit hours: below the superuser, a course or lesson goes live only through
"Course review", approved by someone other than its authors, and its credit keeps to the
credit rules, checked on submission and again on approval."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from wagtail import hooks
from wagtail.models import GroupPagePermission, PageLogEntry, TaskState, WorkflowState

from cms import roles
from courses.models import (
    COURSE_CREDIT_HOOK,
    MINUTES_PER_CREDIT_HOUR,
    CoursePage,
    CourseReviewTask,
    LessonPage,
)

from .factories import course_section, make_course, make_lesson

pytestmark = pytest.mark.django_db

COMMENTS = {
    "comments-TOTAL_FORMS": "0",
    "comments-INITIAL_FORMS": "0",
    "comments-MIN_NUM_FORMS": "0",
    "comments-MAX_NUM_FORMS": "1000",
}


@pytest.fixture
def client():
    english = Client()
    english.cookies["django_language"] = "en"
    return english


@pytest.fixture
def trainer(org, member_factory):
    return member_factory(org.province, role=roles.TRAINERS, username="trainer")


@pytest.fixture
def branch_manager(org, member_factory):
    """The lowest-level manager: a branch's."""
    return member_factory(org.branch_a, role=roles.MANAGERS, username="mgr_a")


@pytest.fixture
def other_manager(org, member_factory):
    return member_factory(org.west, role=roles.MANAGERS, username="mgr_west")


@pytest.fixture
def course(db):
    """A live course of 2 credit hours over two required one-hour lessons."""
    course = make_course("党史", credit_hours=Decimal("2.0"), estimated_minutes=120)
    make_lesson(course, "第一课", estimated_minutes=60)
    make_lesson(course, "第二课", estimated_minutes=60)
    return course


def course_data(course: CoursePage, **changes) -> dict:
    return {
        "title": course.title,
        "slug": course.slug,
        "summary": course.summary,
        "credit_hours": str(course.credit_hours),
        "estimated_minutes": str(course.estimated_minutes),
        "audience_everyone": "on",
        "tags": "",
        **COMMENTS,
        **changes,
    }


def lesson_data(lesson: LessonPage, **changes) -> dict:
    data = {
        "title": lesson.title,
        "slug": lesson.slug,
        "body-count": "0",
        "estimated_minutes": str(lesson.estimated_minutes),
        **COMMENTS,
        **changes,
    }
    if lesson.required_for_completion and "required_for_completion" not in changes:
        data["required_for_completion"] = "on"
    return {key: value for key, value in data.items() if value is not None}


def edit(client, page, data):
    return client.post(reverse("wagtailadmin_pages:edit", args=(page.pk,)), data)


def approve(client, page):
    state = WorkflowState.objects.active().get(object_id=str(page.pk))
    url = reverse(
        "wagtailadmin_pages:workflow_action",
        args=(page.pk, "approve", state.current_task_state.pk),
    )
    return client.post(url, {"comment": "同意"})


def assert_refused(response, page) -> None:
    """Wagtail answers a refused admin action with a redirect to the dashboard."""
    assert response.status_code == 302
    assert response.url == reverse("wagtailadmin_home")
    state = WorkflowState.objects.get(object_id=str(page.pk))
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    assert state.current_task_state.status == TaskState.STATUS_IN_PROGRESS


def live_credit(course: CoursePage) -> Decimal:
    return CoursePage.objects.get(pk=course.pk).credit_hours


class TestNoDirectPublishing:
    def test_branch_manager_cannot_publish_a_credit_change(self, client, course, branch_manager):
        # given the lowest-level manager in the admin
        client.force_login(branch_manager)

        # when they raise the credit and press "Publish"
        edit(client, course, course_data(course, credit_hours="2.0", **{"action-publish": "1"}))
        edit(client, course, course_data(course, credit_hours="50", **{"action-publish": "1"}))

        # then the live course keeps its credit and nothing was published by them
        assert live_credit(course) == Decimal("2.0")
        assert not PageLogEntry.objects.filter(
            page=course, action="wagtail.publish", user=branch_manager
        ).exists()

    @pytest.mark.parametrize("role", [roles.MANAGERS, roles.TRAINERS])
    def test_editor_offers_submit_but_not_publish(self, client, course, org, member_factory, role):
        client.force_login(member_factory(org.branch_a, role=role))

        response = client.get(reverse("wagtailadmin_pages:edit", args=(course.pk,)))

        assert response.status_code == 200
        html = response.content.decode()
        assert 'name="action-submit"' in html
        assert 'name="action-publish"' not in html

    def test_no_role_keeps_a_publish_permission_on_the_course_section(self, db):
        assert not GroupPagePermission.objects.filter(
            group__name__in=[roles.MANAGERS, roles.TRAINERS],
            permission__codename="publish_page",
        ).exists()
        task = course_section().get_workflow().tasks.get().specific
        assert isinstance(task, CourseReviewTask)
        assert list(task.groups.values_list("name", flat=True)) == [roles.MANAGERS]

    def test_superuser_still_publishes_directly(self, client, course, org, member_factory):
        admin = member_factory(org.province, is_superuser=True, is_staff=True)
        client.force_login(admin)

        response = edit(
            client, course, course_data(course, title="党史 二", **{"action-publish": "1"})
        )

        assert response.status_code == 302
        assert CoursePage.objects.get(pk=course.pk).title == "党史 二"


class TestReview:
    def test_submitted_by_one_manager_approved_by_another_and_logged(
        self, client, course, branch_manager, other_manager
    ):
        # given a manager who submits a credit change
        client.force_login(branch_manager)
        response = edit(
            client, course, course_data(course, credit_hours="1.5", **{"action-submit": "1"})
        )
        assert response.status_code == 302
        assert live_credit(course) == Decimal("2.0")

        # when another manager approves it
        client.force_login(other_manager)
        response = approve(client, course)

        # then it is live, and the log says who submitted, approved and published
        assert response.status_code == 302
        assert live_credit(course) == Decimal("1.5")
        entries = PageLogEntry.objects.filter(page=course)
        assert entries.get(action="wagtail.workflow.start").user == branch_manager
        assert entries.get(action="wagtail.workflow.approve").user == other_manager
        assert entries.filter(action="wagtail.publish").latest("timestamp").user == other_manager

    def test_submitter_cannot_approve_their_own_submission(
        self, client, course, branch_manager, other_manager
    ):
        # given a manager's own submission
        client.force_login(branch_manager)
        edit(client, course, course_data(course, credit_hours="1.5", **{"action-submit": "1"}))

        # when they open the editor and post an approval anyway
        editor = client.get(reverse("wagtailadmin_pages:edit", args=(course.pk,)))
        response = approve(client, course)

        # then no approval is offered nor accepted, though another manager is offered one
        assert 'data-workflow-action-name="approve"' not in editor.content.decode()
        assert_refused(response, course)
        assert live_credit(course) == Decimal("2.0")
        client.force_login(other_manager)
        other = client.get(reverse("wagtailadmin_pages:edit", args=(course.pk,)))
        assert 'data-workflow-action-name="approve"' in other.content.decode()

    def test_a_manager_who_edited_under_review_cannot_approve(
        self, client, course, trainer, branch_manager
    ):
        # given a trainer's submission that a manager then edits in review
        client.force_login(trainer)
        edit(client, course, course_data(course, title="党史（修订）", **{"action-submit": "1"}))
        client.force_login(branch_manager)
        edit(client, course, course_data(course, title="党史（修订）", credit_hours="1.0"))

        # when that manager approves
        response = approve(client, course)

        # then they are refused: their own change would go live unseen
        assert_refused(response, course)
        assert CoursePage.objects.get(pk=course.pk).title == "党史"

    def test_trainer_cannot_approve(self, client, course, trainer, branch_manager):
        client.force_login(branch_manager)
        edit(client, course, course_data(course, credit_hours="1.5", **{"action-submit": "1"}))
        client.force_login(trainer)

        assert_refused(approve(client, course), course)
        assert live_credit(course) == Decimal("2.0")


class TestCreditRules:
    def test_credit_beyond_the_lessons_study_time_is_refused_on_submission(
        self, client, course, trainer
    ):
        # given two one-hour lessons: 120 minutes carry at most 120 / 45 credit hours
        client.force_login(trainer)

        # when the trainer submits 50 credit hours
        response = edit(
            client, course, course_data(course, credit_hours="50", **{"action-submit": "1"})
        )

        # then the form refuses it, saying why, and nothing goes to review
        assert response.status_code == 200
        errors = response.context["form"].errors["credit_hours"]
        assert (
            "50 credit hours need at least 2250 minutes of required lessons "
            f"({MINUTES_PER_CREDIT_HOUR} minutes per credit hour); the course's required "
            "lessons add up to 120 minutes."
        ) in errors  # and, after it, what the hooks of higher layers say
        assert not WorkflowState.objects.filter(object_id=str(course.pk)).exists()

    def test_a_draft_may_be_saved_while_the_lessons_are_written(self, client, course, trainer):
        client.force_login(trainer)

        response = edit(client, course, course_data(course, credit_hours="4"))

        assert response.status_code == 302
        assert live_credit(course) == Decimal("2.0")

    def test_a_submitted_revision_that_breaks_the_rule_is_refused_on_approval(
        self, client, course, trainer, branch_manager
    ):
        # given a valid submission, after which a lesson's draft drops to 10 minutes
        client.force_login(trainer)
        edit(client, course, course_data(course, credit_hours="2.5", **{"action-submit": "1"}))
        lesson = LessonPage.objects.child_of(course).first()
        lesson.estimated_minutes = 10
        lesson.save_revision(user=trainer)

        # when a manager approves the course
        client.force_login(branch_manager)
        approve(client, course)

        # then the approval is refused with the reason, and the old credit stays live
        assert live_credit(course) == Decimal("2.0")
        task_state = TaskState.objects.get(workflow_state__object_id=str(course.pk))
        assert task_state.status == TaskState.STATUS_REJECTED
        assert "need at least 113 minutes" in task_state.comment
        assert "add up to 70 minutes" in task_state.comment

    def test_making_a_lesson_optional_that_the_credit_needs_is_refused(
        self, client, course, trainer
    ):
        lesson = LessonPage.objects.child_of(course).first()
        client.force_login(trainer)

        response = edit(
            client,
            lesson,
            lesson_data(lesson, required_for_completion=None, **{"action-submit": "1"}),
        )

        assert response.status_code == 200
        assert "add up to 60 minutes" in response.context["form"].errors["estimated_minutes"][0]
        assert LessonPage.objects.get(pk=lesson.pk).required_for_completion

    def test_a_reading_lesson_without_an_estimated_time_is_refused(self, client, course, trainer):
        # Reading lessons complete by time spent; without an estimate none could complete.
        lesson = LessonPage.objects.child_of(course).first()
        client.force_login(trainer)

        response = edit(
            client, lesson, lesson_data(lesson, estimated_minutes="0", **{"action-submit": "1"})
        )

        assert response.status_code == 200
        errors = response.context["form"].errors["estimated_minutes"]
        assert "needs its estimated time" in errors[0]
        assert LessonPage.objects.get(pk=lesson.pk).estimated_minutes == 60

    def test_a_higher_layer_can_refuse_a_credit_through_the_hook(self, client, course, trainer):
        calls = []

        def ceiling(*, course, credit_hours, estimated_minutes_total):
            calls.append((course.pk, credit_hours, estimated_minutes_total))
            if credit_hours > 1:
                raise ValidationError("Above the ceiling of the study-hour rules.")

        client.force_login(trainer)
        with hooks.register_temporarily(COURSE_CREDIT_HOOK, ceiling):
            response = edit(
                client, course, course_data(course, credit_hours="2", **{"action-submit": "1"})
            )

        assert response.context["form"].errors["credit_hours"] == [
            "Above the ceiling of the study-hour rules."
        ]
        assert calls == [(course.pk, Decimal("2"), 120)]
