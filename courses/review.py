"""Review of a course is review of the course: its lessons go with it.

Submitting a course to "Course review" puts the course and every lesson below it that has
changes not yet live (new lessons, edited lessons) under review together; the approval
publishes them together, lessons first, in one transaction, so that a member never sees the
course live with draft lessons, nor an empty live course. A lesson edited after its course
went live goes through review again, either on its own (the lesson's own "submit") or with
its course (resubmitting the course takes every changed lesson with it).

Who may approve is decided in ``CourseReviewTask`` (``courses.models``): nobody who wrote a
change in the bundle, and the approval is the right to publish.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext as _
from wagtail.models import Page, Revision, TaskState, WorkflowState

from .models import CoursePage, LessonPage, lesson_video


def _changed_since_published(page: Page) -> bool:
    """A draft that is waiting to go live: never published, or edited since it was.

    A lesson an administrator unpublished on purpose, and that nobody changed since, is not
    waiting: resubmitting its course must not bring it back.
    """
    if page.live:
        return page.has_unpublished_changes
    if page.last_published_at is None:
        return True
    return page.revisions.filter(created_at__gt=page.last_published_at).exists()


def course_review_lessons(*, course: CoursePage) -> list[Page]:
    """The lessons that go live with the course: those with changes not yet live (specific
    pages, as stored; their latest revision is what is published)."""
    return [
        child
        for child in Page.objects.child_of(course).specific().order_by("path")
        if _changed_since_published(child)
    ]


def _as_submitted(page: Page) -> Page:
    return page.get_latest_revision_as_object() if page.get_latest_revision() else page


def lesson_review_errors(*, lesson: Page) -> list[str]:
    """Why ``lesson`` (as it would go live) cannot go live; empty when it can."""
    lesson = _as_submitted(lesson)
    if not isinstance(lesson, LessonPage) or lesson.completion != LessonPage.Completion.WATCH_LOG:
        return []
    if lesson_video(lesson.body) is None and not lesson.estimated_minutes:
        return [
            _(
                "The reading lesson “%(title)s” needs its estimated time: members complete it "
                "by spending that time on it."
            )
            % {"title": lesson.title}
        ]
    return []


def course_review_errors(*, course: CoursePage) -> list[str]:
    """Why the course and its changed lessons cannot go live together; empty when they can.

    All or nothing: one lesson that cannot go live keeps the whole course from going live,
    so an approval never publishes part of what was submitted.
    """
    changed = course_review_lessons(course=course)
    errors = [error for lesson in changed for error in lesson_review_errors(lesson=lesson)]
    changed_ids = {lesson.pk for lesson in changed}
    already_live = LessonPage.objects.child_of(course).live().exclude(pk__in=changed_ids)
    if not changed and not already_live.exists():
        errors.append(
            _("A course goes live with at least one lesson: add its lessons, then submit it.")
        )
    return errors


def course_review_authors(*, course: CoursePage) -> set[int]:
    """Who wrote a change of a lesson going live with the course, or submitted one of those
    lessons on its own: none of them may approve the course."""
    ids: set[int] = set()
    for lesson in course_review_lessons(course=course):
        revisions = lesson.revisions
        if lesson.live_revision_id:
            revisions = revisions.filter(pk__gt=lesson.live_revision_id)
        ids.update(revisions.values_list("user_id", flat=True))
        state = lesson.current_workflow_state
        if state is not None:
            ids.add(state.requested_by_id)
    ids.discard(None)
    return ids


def _close_own_review(*, lesson: Page, user: AbstractBaseUser) -> None:
    """A lesson also submitted on its own is approved with its course: its own review ends
    approved (logged with the approver), not left waiting for a second approval of the same
    change. One sent back for changes is cancelled by publishing (Wagtail's default)."""
    state = lesson.current_workflow_state
    if state is None or state.status != WorkflowState.STATUS_IN_PROGRESS:
        return
    task_state = state.current_task_state
    if task_state is not None and task_state.status == TaskState.STATUS_IN_PROGRESS:
        task_state.approve(user=user, update=False, comment=_("Approved with its course."))
    state.status = WorkflowState.STATUS_APPROVED
    state.save(update_fields=["status"])


def course_review_publish_lessons(*, course: CoursePage, user: AbstractBaseUser) -> list[Page]:
    """Publish, as ``user`` (the approver), the latest revision of every lesson going live
    with the course. Call inside the approval's transaction, before the course is published."""
    published = []
    for lesson in course_review_lessons(course=course):
        revision: Revision | None = lesson.get_latest_revision()
        if revision is None:  # made in code, never saved from the admin
            revision = lesson.save_revision(user=None, log_action=False)
        _close_own_review(lesson=lesson, user=user)
        revision.publish(user=user, skip_permission_checks=True)
        published.append(lesson)
    return published
