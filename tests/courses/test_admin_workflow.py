"""Authoring through the Wagtail admin: trainers draft and submit, managers approve."""

import pytest
from django.urls import reverse
from wagtail.models import Page, WorkflowState
from wagtail.test.utils.form_data import rich_text

from cms import roles
from courses.models import CourseIndexPage, CoursePage, LessonPage

from .factories import course_section, make_course

pytestmark = pytest.mark.django_db

COMMENTS = {
    "comments-TOTAL_FORMS": "0",
    "comments-INITIAL_FORMS": "0",
    "comments-MIN_NUM_FORMS": "0",
    "comments-MAX_NUM_FORMS": "1000",
}


def course_form(title: str, **extra) -> dict:
    return {
        "title": title,
        "slug": extra.pop("slug", "new-course"),
        "summary": "摘要",
        "credit_hours": extra.pop("credit_hours", "0"),
        "estimated_minutes": "45",
        "audience_everyone": "on",
        "tags": "",
        **COMMENTS,
        **extra,
    }


@pytest.fixture
def trainer(org, member_factory):
    return member_factory(org.province, role=roles.TRAINERS, username="trainer")


@pytest.fixture
def manager(org, member_factory):
    return member_factory(org.province, role=roles.MANAGERS, username="manager")


def add_url(parent: Page) -> str:
    return reverse("wagtailadmin_pages:add", args=("courses", "coursepage", parent.pk))


class TestTrainer:
    def test_creates_and_submits_then_manager_approves_and_it_goes_live(
        self, client, trainer, manager
    ):
        # given a trainer in the admin
        client.force_login(trainer)

        # when they create a course and submit it for review
        response = client.post(
            add_url(course_section()), course_form("党建新课", **{"action-submit": "submit"})
        )

        # then it is a draft in the "Course review" workflow
        assert response.status_code == 302, response.context and response.context["form"].errors
        course = CoursePage.objects.get(title="党建新课")
        assert not course.live
        state = WorkflowState.objects.get(base_content_type__model="page", object_id=str(course.pk))
        assert state.workflow.name == "课程审核"
        assert state.status == WorkflowState.STATUS_IN_PROGRESS

        # and the lesson they write under it, saved as a draft, is under review with it
        lesson = client.post(
            reverse("wagtailadmin_pages:add", args=("courses", "lessonpage", course.pk)),
            {
                "title": "第一课",
                "slug": "first",
                "body-count": "0",
                "estimated_minutes": "20",
                **COMMENTS,
            },
        )
        assert lesson.status_code == 302

        # when a manager approves with a comment
        client.force_login(manager)
        task_state = state.current_task_state
        response = client.post(
            reverse(
                "wagtailadmin_pages:workflow_action",
                args=(course.pk, "approve", task_state.pk),
            ),
            {"comment": "好"},
        )

        # then the approved version is live, with its lesson
        assert response.status_code == 302
        course.refresh_from_db()
        assert course.live
        assert LessonPage.objects.get(slug="first").live
        state.refresh_from_db()
        assert state.status == WorkflowState.STATUS_APPROVED

    def test_manager_can_reject_with_a_comment(self, client, trainer, manager):
        client.force_login(trainer)
        client.post(add_url(course_section()), course_form("待审", **{"action-submit": "1"}))
        course = CoursePage.objects.get(title="待审")
        state = WorkflowState.objects.get(object_id=str(course.pk))

        client.force_login(manager)
        client.post(
            reverse(
                "wagtailadmin_pages:workflow_action",
                args=(course.pk, "reject", state.current_task_state.pk),
            ),
            {"comment": "请补充"},
        )

        course.refresh_from_db()
        state.refresh_from_db()
        assert not course.live
        assert state.status == WorkflowState.STATUS_NEEDS_CHANGES

    def test_cannot_publish(self, client, trainer):
        client.force_login(trainer)

        client.post(add_url(course_section()), course_form("想直接发布", **{"action-publish": "1"}))
        course = CoursePage.objects.get(title="想直接发布")
        assert not course.live

        client.post(
            reverse("wagtailadmin_pages:edit", args=(course.pk,)),
            course_form("想直接发布", slug=course.slug, **{"action-publish": "1"}),
        )
        course.refresh_from_db()
        assert not course.live
        assert not CoursePage.objects.live().filter(pk=course.pk).exists()

    def test_cannot_edit_or_add_in_another_section(self, client, trainer):
        # given a second section with a course in it
        home = course_section().get_parent()
        other = home.add_child(instance=CourseIndexPage(title="Other section", slug="other"))
        course = make_course("Other course", section=other)
        client.force_login(trainer)

        # when the trainer opens its edit view and posts a change
        edit = reverse("wagtailadmin_pages:edit", args=(course.pk,))
        get = client.get(edit)
        post = client.post(edit, course_form("Changed", slug=course.slug))
        add = client.post(add_url(other), course_form("Sneaky", slug="sneaky"))

        # then they are refused and nothing changes
        for response in (get, post, add):
            assert response.status_code == 302
            assert response["Location"] == reverse("wagtailadmin_home")
        course.refresh_from_db()
        assert course.title == "Other course"
        assert course.get_latest_revision() is None or course.draft_title == "Other course"
        assert not CoursePage.objects.filter(title="Sneaky").exists()

    def test_can_edit_in_own_section(self, client, trainer):
        # given a live course in the trainer's section
        course = make_course("Mine")
        client.force_login(trainer)
        edit = reverse("wagtailadmin_pages:edit", args=(course.pk,))

        # when they open it and save a change as a draft
        shown = client.get(edit)
        saved = client.post(edit, course_form("Mine, revised", slug=course.slug))

        # then the editor offers "submit" (not "publish"), and the change is a draft of theirs
        assert shown.status_code == 200
        html = shown.content.decode()
        assert 'name="action-submit"' in html and 'name="action-publish"' not in html
        assert saved.status_code == 302
        course.refresh_from_db()
        assert course.title == "Mine" and course.draft_title == "Mine, revised"
        revision = course.get_latest_revision()
        assert revision.user == trainer and revision.as_object().title == "Mine, revised"

    def test_can_open_the_add_forms_for_course_and_lesson(self, client, trainer):
        course = make_course("Mine")
        client.force_login(trainer)

        course_form_page = client.get(add_url(course_section()))
        lesson_form_page = client.get(
            reverse("wagtailadmin_pages:add", args=("courses", "lessonpage", course.pk))
        )

        assert course_form_page.status_code == 200
        assert lesson_form_page.status_code == 200
        html = lesson_form_page.content.decode()
        for block in ("lecture_video", "image", "document", "callout", "quote"):
            assert block in html


class TestPreview:
    def test_trainer_previews_a_new_course_and_a_draft_lesson(self, client, trainer):
        # given a course with a draft lesson
        course = make_course("Mine")
        lesson = course.add_child(
            instance=LessonPage(title="Draft lesson", slug="draft", live=False)
        )
        client.force_login(trainer)

        # when they preview a new course and the draft lesson
        add_preview = reverse(
            "wagtailadmin_pages:preview_on_add",
            args=("courses", "coursepage", course_section().pk),
        )
        posted = client.post(add_preview, course_form("预览课程", slug="preview"))
        shown = client.get(add_preview)
        edit_preview = reverse("wagtailadmin_pages:preview_on_edit", args=(lesson.pk,))
        client.post(
            edit_preview,
            {
                "title": "Draft lesson",
                "slug": "draft",
                "body-count": "0",
                "estimated_minutes": "5",
                **COMMENTS,
            },
        )
        lesson_shown = client.get(edit_preview)

        # then both render
        assert posted.json()["is_valid"], posted.json()
        assert shown.status_code == 200
        assert "预览课程" in shown.content.decode()
        assert lesson_shown.status_code == 200
        assert "Draft lesson" in lesson_shown.content.decode()


class TestSections:
    def test_a_new_section_is_reviewed_too_and_trainers_get_no_rights_there(
        self, client, org, member_factory, trainer
    ):
        # given an administrator who adds a second course section in the admin
        admin = member_factory(org.province, is_superuser=True, is_staff=True)
        home = course_section().get_parent()
        client.force_login(admin)
        client.post(
            reverse("wagtailadmin_pages:add", args=("courses", "courseindexpage", home.pk)),
            {
                "title": "第二分区",
                "slug": "second",
                "intro": rich_text(""),
                **COMMENTS,
                "action-publish": "1",
            },
        )
        section = CourseIndexPage.objects.get(slug="second")

        # then it is under "Course review"
        workflow = section.get_workflow()
        assert workflow is not None and workflow.name == "课程审核"

        # and the trainer cannot add a course there
        client.force_login(trainer)
        response = client.post(add_url(section), course_form("越权课程", slug="x"))
        assert response.status_code == 302
        assert response["Location"] == reverse("wagtailadmin_home")
        assert not CoursePage.objects.filter(title="越权课程").exists()
