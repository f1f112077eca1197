"""Review of a course is review of the course: submitted with its lessons, approved and
published with them, never live with draft lessons nor empty. Through the admin's real views."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from wagtail.models import PageLogEntry, TaskState, WorkflowState

from cms import roles
from courses.models import CoursePage, LessonPage

from .factories import course_section, make_course, make_lesson

pytestmark = pytest.mark.django_db

COMMENTS = {
    "comments-TOTAL_FORMS": "0",
    "comments-INITIAL_FORMS": "0",
    "comments-MIN_NUM_FORMS": "0",
    "comments-MAX_NUM_FORMS": "1000",
}
SUBMIT = {"action-submit": "1"}


def english_client() -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def client():
    return english_client()


@pytest.fixture
def trainer(org, member_factory):
    return member_factory(org.province, role=roles.TRAINERS, username="trainer")


@pytest.fixture
def manager(org, member_factory):
    return member_factory(org.east, role=roles.MANAGERS, username="manager")


@pytest.fixture
def member(org, member_factory):
    return member_factory(org.branch_a, username="member_a")


def course_data(title: str, slug: str, **extra) -> dict:
    return {
        "title": title,
        "slug": slug,
        "summary": "摘要",
        "credit_hours": "0",
        "estimated_minutes": "45",
        "audience_everyone": "on",
        "tags": "",
        **COMMENTS,
        **extra,
    }


def lesson_data(title: str, slug: str, minutes: str = "20", **extra) -> dict:
    return {
        "title": title,
        "slug": slug,
        "body-count": "0",
        "estimated_minutes": minutes,
        "required_for_completion": "on",
        **COMMENTS,
        **extra,
    }


def add(client, parent, model: str, data: dict):
    url = reverse("wagtailadmin_pages:add", args=("courses", model, parent.pk))
    return client.post(url, data)


def edit(client, page, data: dict):
    return client.post(reverse("wagtailadmin_pages:edit", args=(page.pk,)), data)


def state_of(page) -> WorkflowState:
    return WorkflowState.objects.filter(object_id=str(page.pk)).latest("created_at")


def approve(client, page):
    """The review screen's "Approve" (the workflow action view)."""
    state = state_of(page)
    url = reverse(
        "wagtailadmin_pages:workflow_action",
        args=(page.pk, "approve", state.current_task_state.pk),
    )
    return client.post(url, {"comment": "同意"})


def draft_course(client, trainer, *lessons: tuple[str, str]) -> CoursePage:
    """A course and lessons a trainer wrote in the admin and saved as drafts."""
    client.force_login(trainer)
    assert (
        add(client, course_section(), "coursepage", course_data("新课", "new")).status_code == 302
    )
    course = CoursePage.objects.get(slug="new")
    for title, minutes in lessons:
        slug = f"l-{LessonPage.objects.count() + 1}"
        response = add(client, course, "lessonpage", lesson_data(title, slug, minutes))
        assert response.status_code == 302, response.context and response.context["form"].errors
    return course


def live(page) -> bool:
    return type(page).objects.get(pk=page.pk).live


def lessons_of(course) -> list[LessonPage]:
    return list(LessonPage.objects.child_of(course).order_by("path"))


def course_url(course) -> str:
    return CoursePage.objects.get(pk=course.pk).url


class TestSubmittedAndApprovedTogether:
    def test_approval_publishes_the_course_and_its_draft_lessons(
        self, client, trainer, manager, member
    ):
        # given a trainer's course with two draft lessons, submitted for review
        course = draft_course(client, trainer, ("第一课", "20"), ("第二课", "25"))
        response = edit(client, course, course_data("新课", "new", **SUBMIT))
        assert response.status_code == 302
        assert not any(lesson.live for lesson in lessons_of(course))

        # when a manager approves the course, once
        client.force_login(manager)
        response = approve(client, course)

        # then the course and both lessons are live, published by the approver
        assert response.status_code == 302
        assert live(course)
        assert all(
            lesson.live and not lesson.has_unpublished_changes for lesson in lessons_of(course)
        )
        for lesson in lessons_of(course):
            entry = PageLogEntry.objects.filter(page=lesson, action="wagtail.publish").get()
            assert entry.user == manager
        assert state_of(course).status == WorkflowState.STATUS_APPROVED
        # and the lessons needed no review of their own
        assert not WorkflowState.objects.filter(
            object_id__in=[str(lesson.pk) for lesson in lessons_of(course)]
        ).exists()

        # and a member sees the lessons, not an empty course
        client.force_login(member)
        page = client.get(course_url(course))
        assert page.status_code == 200
        html = page.content.decode()
        assert "第一课" in html and "第二课" in html
        assert "No lessons yet." not in html

    def test_approval_from_the_editor_publishes_them_together(self, client, trainer, manager):
        course = draft_course(client, trainer, ("第一课", "20"))
        edit(client, course, course_data("新课", "new", **SUBMIT))

        # when the manager approves from the page editor (its workflow action button)
        client.force_login(manager)
        response = edit(
            client,
            course,
            course_data(
                "新课",
                "new",
                **{"action-workflow-action": "1", "workflow-action-name": "approve"},
            ),
        )

        assert response.status_code == 302
        assert live(course)
        assert all(lesson.live for lesson in lessons_of(course))

    def test_a_lesson_submitted_on_its_own_is_approved_with_its_course(
        self, client, trainer, manager
    ):
        # given a draft lesson the trainer also submitted on its own
        course = draft_course(client, trainer, ("第一课", "20"))
        lesson = lessons_of(course)[0]
        edit(client, lesson, lesson_data("第一课", lesson.slug, **SUBMIT))
        edit(client, course, course_data("新课", "new", **SUBMIT))

        # when the manager approves the course
        client.force_login(manager)
        approve(client, course)

        # then the lesson is live and its own review is closed as approved, not left waiting
        assert live(lesson)
        own = state_of(lesson)
        assert own.status == WorkflowState.STATUS_APPROVED
        assert not WorkflowState.objects.active().filter(object_id=str(lesson.pk)).exists()


class TestAttacks:
    def test_manager_cannot_publish_a_course_whose_lessons_are_drafts(
        self, client, trainer, manager
    ):
        course = draft_course(client, trainer, ("第一课", "20"))

        client.force_login(manager)
        edit(client, course, course_data("新课", "new", **{"action-publish": "1"}))
        lesson = lessons_of(course)[0]
        edit(client, lesson, lesson_data("第一课", lesson.slug, **{"action-publish": "1"}))

        assert not live(course)
        assert not live(lesson)

    def test_trainer_cannot_publish_a_lesson_directly(self, client, trainer):
        course = make_course("已上线", lessons=1, credit_hours=Decimal("0"))
        client.force_login(trainer)

        response = add(
            client, course, "lessonpage", lesson_data("偷发", "sneak", **{"action-publish": "1"})
        )

        assert response.status_code == 302
        assert not LessonPage.objects.get(slug="sneak").live

    def test_one_lesson_that_cannot_go_live_keeps_the_whole_course_back(
        self, client, trainer, manager, member
    ):
        # given a course submitted with a good lesson and a reading lesson without its
        # estimated time (drafts are saved as they are; the form checks only on submission)
        course = draft_course(client, trainer, ("好课", "20"), ("没有时长", "0"))
        edit(client, course, course_data("新课", "new", **SUBMIT))

        # when a manager approves the course
        client.force_login(manager)
        approve(client, course)

        # then nothing goes live, not even the good lesson, and the reason is recorded
        assert not live(course)
        assert not any(lesson.live for lesson in lessons_of(course))
        task_state = state_of(course).task_states.get()
        assert task_state.status == TaskState.STATUS_REJECTED
        assert "没有时长" in task_state.comment and "estimated time" in task_state.comment
        assert state_of(course).status == WorkflowState.STATUS_NEEDS_CHANGES

    def test_approving_a_lesson_alone_does_not_publish_its_draft_course(
        self, client, trainer, manager, member
    ):
        course = draft_course(client, trainer, ("第一课", "20"))
        lesson = lessons_of(course)[0]
        edit(client, lesson, lesson_data("第一课", lesson.slug, **SUBMIT))

        client.force_login(manager)
        approve(client, lesson)

        # the lesson is approved, but the course stays a draft and members see neither
        assert live(lesson) and not live(course)
        client.force_login(member)
        assert client.get(LessonPage.objects.get(pk=lesson.pk).url).status_code == 404

    def test_an_empty_course_is_not_approved(self, client, trainer, manager):
        course = draft_course(client, trainer)
        edit(client, course, course_data("新课", "new", **SUBMIT))

        client.force_login(manager)
        approve(client, course)

        assert not live(course)
        assert "at least one lesson" in state_of(course).task_states.get().comment

    def test_trainer_cannot_approve_their_own_submission(self, client, trainer):
        course = draft_course(client, trainer, ("第一课", "20"))
        edit(client, course, course_data("新课", "new", **SUBMIT))

        # the review screen refuses, and the editor neither offers the approve button nor
        # takes the post (the page is locked to its author while in review)
        refused = approve(client, course)
        editor = client.get(reverse("wagtailadmin_pages:edit", args=(course.pk,)))
        posted = edit(
            client,
            course,
            course_data(
                "新课",
                "new",
                **{"action-workflow-action": "1", "workflow-action-name": "approve"},
            ),
        )

        assert refused.status_code == 302 and refused.url == reverse("wagtailadmin_home")
        assert 'data-workflow-action-name="approve"' not in editor.content.decode()
        assert posted.status_code == 200 and posted.context["locked_for_user"]
        assert not live(course)
        assert not any(lesson.live for lesson in lessons_of(course))
        assert state_of(course).status == WorkflowState.STATUS_IN_PROGRESS

    def test_a_manager_who_wrote_one_of_its_lessons_cannot_approve_the_course(
        self, client, trainer, manager, org, member_factory
    ):
        # given a submitted course, after which a manager edits one of its draft lessons
        course = draft_course(client, trainer, ("第一课", "20"))
        edit(client, course, course_data("新课", "new", **SUBMIT))
        lesson = lessons_of(course)[0]
        client.force_login(manager)
        edit(client, lesson, lesson_data("第一课（经理改）", lesson.slug, "30"))

        # when that manager approves the course, they are refused: their lesson would go
        # live unseen by a second person
        response = approve(client, course)

        assert response.status_code == 302 and response.url == reverse("wagtailadmin_home")
        assert not live(course) and not live(lesson)

        # another manager may approve, and the manager's lesson goes live with the course
        other = member_factory(org.west, role=roles.MANAGERS, username="other_manager")
        client.force_login(other)
        approve(client, course)
        assert live(course)
        assert LessonPage.objects.get(pk=lesson.pk).title == "第一课（经理改）"


class TestAfterApproval:
    @pytest.fixture
    def approved(self, client, trainer, manager):
        course = draft_course(client, trainer, ("第一课", "20"))
        edit(client, course, course_data("新课", "new", **SUBMIT))
        client.force_login(manager)
        approve(client, course)
        assert live(course)
        return course

    def test_an_edited_lesson_goes_through_review_on_its_own(
        self, client, approved, trainer, manager
    ):
        lesson = lessons_of(approved)[0]
        client.force_login(trainer)

        # a draft edit does not reach members
        edit(client, lesson, lesson_data("第一课（修订）", lesson.slug))
        assert LessonPage.objects.get(pk=lesson.pk).title == "第一课"

        # submitted on its own and approved by a manager, it goes live
        edit(client, lesson, lesson_data("第一课（修订）", lesson.slug, **SUBMIT))
        client.force_login(manager)
        approve(client, lesson)
        assert LessonPage.objects.get(pk=lesson.pk).title == "第一课（修订）"

    def test_resubmitting_the_course_takes_edited_and_new_lessons_with_it(
        self, client, approved, trainer, manager
    ):
        lesson = lessons_of(approved)[0]
        client.force_login(trainer)
        edit(client, lesson, lesson_data("第一课（修订）", lesson.slug))
        add(client, approved, "lessonpage", lesson_data("第二课", "second"))
        edit(client, approved, course_data("新课", "new", **SUBMIT))

        client.force_login(manager)
        approve(client, approved)

        titles = [(lesson.title, lesson.live) for lesson in lessons_of(approved)]
        assert titles == [("第一课（修订）", True), ("第二课", True)]

    def test_a_lesson_unpublished_on_purpose_is_not_brought_back(
        self, client, approved, trainer, manager
    ):
        lesson = lessons_of(approved)[0]
        make_lesson(approved, "另一课", estimated_minutes=10)
        LessonPage.objects.get(pk=lesson.pk).unpublish()
        client.force_login(trainer)
        edit(client, approved, course_data("新课（修订）", "new", **SUBMIT))

        client.force_login(manager)
        approve(client, approved)

        assert CoursePage.objects.get(pk=approved.pk).title == "新课（修订）"
        assert not live(lesson)


class TestSuperuser:
    def test_publishing_a_course_directly_takes_its_draft_lessons_live(
        self, client, trainer, org, member_factory
    ):
        course = draft_course(client, trainer, ("第一课", "20"))
        admin = member_factory(org.province, is_superuser=True, is_staff=True)
        client.force_login(admin)

        response = edit(client, course, course_data("新课", "new", **{"action-publish": "1"}))

        assert response.status_code == 302
        assert live(course)
        assert all(lesson.live for lesson in lessons_of(course))

    def test_an_empty_course_is_not_published(self, client, org, member_factory):
        admin = member_factory(org.province, is_superuser=True, is_staff=True)
        client.force_login(admin)

        response = add(
            client,
            course_section(),
            "coursepage",
            course_data("空课", "empty", **{"action-publish": "1"}),
        )

        course = CoursePage.objects.get(slug="empty")
        assert response.status_code == 302
        assert response.url == reverse("wagtailadmin_pages:edit", args=(course.pk,))
        assert not course.live
