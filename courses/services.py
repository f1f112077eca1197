"""Writes about courses: enrolment, assignment, lesson progress and course completion."""

from datetime import date, datetime
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log
from wagtail.models import Workflow, WorkflowPage

from cms.models import MemberProfile, Unit
from cms.selectors import unit_ancestor_paths, units_visible_to, user_unit

from .models import (
    CourseAssignment,
    CourseIndexPage,
    CoursePage,
    Enrolment,
    LessonPage,
    LessonProgress,
)
from .selectors import course_of_lesson, course_visible_to
from .signals import course_completed


class EnrolmentError(ValidationError):
    """Enrolment refused; the message says why and is meant for the member."""


# --- enrolment ---------------------------------------------------------------


@transaction.atomic
def enrolment_create(*, user: AbstractBaseUser, course: CoursePage) -> Enrolment:
    """Enrol a member in a course they may see. Refuses a second enrolment."""
    if not course_visible_to(user=user, course=course):
        raise EnrolmentError(_("This course is not open to you."), code="not_visible")
    if Enrolment.objects.filter(user=user, course=course).exists():
        raise EnrolmentError(_("You are already enrolled in this course."), code="already")
    try:
        with transaction.atomic():
            return Enrolment.objects.create(user=user, course=course, source=Enrolment.Source.SELF)
    except IntegrityError as exc:  # a double click raced us
        raise EnrolmentError(_("You are already enrolled in this course."), code="already") from exc


def _enrolment_ensure(*, user: AbstractBaseUser, course: CoursePage) -> Enrolment:
    enrolment, _created = Enrolment.objects.get_or_create(
        user=user, course=course, defaults={"source": Enrolment.Source.SELF}
    )
    return enrolment


# --- assignment --------------------------------------------------------------


def _unit_in_audience(*, unit: Unit, course: CoursePage) -> bool:
    if course.audience_everyone:
        return True
    return course.audience_units.filter(path__in=unit_ancestor_paths(unit=unit)).exists()


def _link_enrolments(*, assignment: CourseAssignment, user_ids: list[int]) -> int:
    """Enrol the given members as required by ``assignment``; returns how many were touched.

    An open enrolment that is not yet required (self-enrolled, or its assignment withdrawn)
    becomes required; one already required by another assignment keeps the earlier due date.
    Completed enrolments are left as they are.
    """
    course = assignment.course
    existing = {
        e.user_id: e
        for e in Enrolment.objects.filter(course=course, user_id__in=user_ids).select_related(
            "assignment"
        )
    }
    new = [
        Enrolment(
            user_id=user_id,
            course=course,
            source=Enrolment.Source.ASSIGNMENT,
            assignment=assignment,
            due_date=assignment.due_date,
        )
        for user_id in user_ids
        if user_id not in existing
    ]
    Enrolment.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)
    to_update = []
    for enrolment in existing.values():
        if enrolment.completed_at is not None:
            continue
        current = enrolment.assignment if enrolment.is_required else None
        if (
            current is not None
            and current.withdrawn_at is None
            and current.due_date <= assignment.due_date
        ):
            continue
        enrolment.source = Enrolment.Source.ASSIGNMENT
        enrolment.assignment = assignment
        enrolment.due_date = assignment.due_date
        to_update.append(enrolment)
    Enrolment.objects.bulk_update(to_update, ["source", "assignment", "due_date"], batch_size=500)
    return len(new) + len(to_update)


ACTION_ASSIGNMENT_CREATED = "courses.assignment_created"
ACTION_ASSIGNMENT_RESCHEDULED = "courses.assignment_rescheduled"
ACTION_ASSIGNMENT_WITHDRAWN = "courses.assignment_withdrawn"


def _assignment_log(
    *, assignment: CourseAssignment, action: str, by: AbstractBaseUser, **data
) -> None:
    log(
        assignment,
        action,
        user=by,
        data={
            "course": assignment.course.title,
            "unit": assignment.unit.name,
            "due_date": assignment.due_date.isoformat(),
            **data,
        },
    )


def assignment_due_date_errors(*, due_date: date) -> list[str]:
    """A due date members can still meet: today or later (local time)."""
    if due_date < timezone.localdate():
        return [_("The due date must be today or later.")]
    return []


@transaction.atomic
def assignment_create(
    *, course: CoursePage, unit: Unit, due_date: date, assigned_by: AbstractBaseUser
) -> CourseAssignment:
    """Make ``course`` required for every member of ``unit``'s subtree, now and later.

    The manager must see the unit (``cms.selectors.units_visible_to``) and the unit must be
    in the course's audience.
    """
    if not units_visible_to(user=assigned_by).filter(pk=unit.pk).exists():
        raise PermissionDenied(_("You may only assign courses to units you manage."))
    if not course.live:
        raise ValidationError(_("Only published courses can be assigned."), code="not_live")
    if not _unit_in_audience(unit=unit, course=course):
        raise ValidationError(
            _("This course is not open to that unit; widen its audience first."),
            code="not_in_audience",
        )
    if errors := assignment_due_date_errors(due_date=due_date):
        raise ValidationError(errors, code="past_due_date")
    if CourseAssignment.objects.filter(course=course, unit=unit, withdrawn_at=None).exists():
        raise ValidationError(
            _("This course is already assigned to that unit."), code="already_assigned"
        )
    assignment = CourseAssignment.objects.create(
        course=course, unit=unit, due_date=due_date, assigned_by=assigned_by
    )
    user_ids = list(
        MemberProfile.objects.filter(unit__path__startswith=unit.path).values_list(
            "user_id", flat=True
        )
    )
    _link_enrolments(assignment=assignment, user_ids=user_ids)
    _assignment_log(assignment=assignment, action=ACTION_ASSIGNMENT_CREATED, by=assigned_by)
    return assignment


@transaction.atomic
def assignment_reschedule(
    *, assignment: CourseAssignment, due_date: date, by: AbstractBaseUser
) -> CourseAssignment:
    """Move an active assignment's due date (today or later); the open enrolments it
    requires follow. Completed enrolments keep the due date they were measured against."""
    if not units_visible_to(user=by).filter(pk=assignment.unit_id).exists():
        raise PermissionDenied(_("You may only change assignments of units you manage."))
    if assignment.withdrawn_at is not None:
        raise ValidationError(_("This assignment was already withdrawn."), code="withdrawn")
    if errors := assignment_due_date_errors(due_date=due_date):
        raise ValidationError(errors, code="past_due_date")
    before = assignment.due_date
    if before == due_date:
        return assignment
    assignment.due_date = due_date
    assignment.save(update_fields=["due_date"])
    Enrolment.objects.filter(assignment=assignment, completed_at=None).update(due_date=due_date)
    _assignment_log(
        assignment=assignment,
        action=ACTION_ASSIGNMENT_RESCHEDULED,
        by=by,
        due_date_before=before.isoformat(),
    )
    return assignment


@transaction.atomic
def assignment_withdraw(
    *, assignment: CourseAssignment, withdrawn_by: AbstractBaseUser
) -> CourseAssignment:
    """Withdraw an assignment. Enrolments and progress stay; they are no longer required,
    unless another active assignment covers the member, which then takes over."""
    if not units_visible_to(user=withdrawn_by).filter(pk=assignment.unit_id).exists():
        raise PermissionDenied(_("You may only withdraw assignments of units you manage."))
    if assignment.withdrawn_at is not None:
        raise ValidationError(_("This assignment was already withdrawn."), code="withdrawn")
    assignment.withdrawn_at = timezone.now()
    assignment.withdrawn_by = withdrawn_by
    assignment.save(update_fields=["withdrawn_at", "withdrawn_by"])
    open_enrolments = list(
        Enrolment.objects.filter(assignment=assignment, completed_at=None).select_related(
            "user__profile__unit"
        )
    )
    others = list(
        CourseAssignment.objects.filter(course=assignment.course, withdrawn_at=None).select_related(
            "unit"
        )
    )
    for enrolment in open_enrolments:
        profile = getattr(enrolment.user, "profile", None)
        covering = [
            a for a in others if profile is not None and profile.unit.path.startswith(a.unit.path)
        ]
        if covering:
            best = min(covering, key=lambda a: a.due_date)
            enrolment.assignment = best
            enrolment.due_date = best.due_date
        else:
            enrolment.source = Enrolment.Source.SELF
            enrolment.due_date = None
    Enrolment.objects.bulk_update(open_enrolments, ["source", "assignment", "due_date"])
    _assignment_log(
        assignment=assignment,
        action=ACTION_ASSIGNMENT_WITHDRAWN,
        by=withdrawn_by,
        open_enrolments=len(open_enrolments),
    )
    return assignment


def enrolments_sync_for_member(*, user: AbstractBaseUser) -> int:
    """Enrol a member in the courses assigned to their unit or its ancestors.

    Call it whenever a member joins a unit (``cms.services.member_create``, the importer).
    Idempotent; returns how many enrolments were created or made required.
    """
    unit = user_unit(user=user)
    if unit is None:
        return 0
    touched = 0
    assignments = CourseAssignment.objects.filter(
        withdrawn_at=None,
        unit__path__in=unit_ancestor_paths(unit=unit),
        course__live=True,
    ).select_related("course")
    for assignment in assignments.order_by("due_date"):
        touched += _link_enrolments(assignment=assignment, user_ids=[user.pk])
    return touched


def enrolments_sync_for_members(*, user_ids: list[int]) -> int:
    """``enrolments_sync_for_member`` for many members at once (for bulk imports)."""
    paths = dict(
        MemberProfile.objects.filter(user_id__in=user_ids).values_list("user_id", "unit__path")
    )
    touched = 0
    assignments = CourseAssignment.objects.filter(withdrawn_at=None, course__live=True)
    for assignment in assignments.select_related("course", "unit").order_by("due_date"):
        covered = [uid for uid, path in paths.items() if path.startswith(assignment.unit.path)]
        if covered:
            touched += _link_enrolments(assignment=assignment, user_ids=covered)
    return touched


def enrolments_on_members_joined(*, user_ids: list[int], **_kwargs) -> None:
    """``cms.signals.members_joined_units``: enrol them in their new units' courses."""
    if len(user_ids) == 1:
        enrolments_sync_for_member(user=MemberProfile.objects.get(user_id=user_ids[0]).user)
    elif user_ids:
        enrolments_sync_for_members(user_ids=user_ids)


# --- progress and completion ---------------------------------------------------


def lesson_progress_record(
    *, user: AbstractBaseUser, lesson: LessonPage, position_seconds: float | None = None
) -> LessonProgress:
    """Note that the member is in a lesson (and where in its video). Taking a lesson enrols.

    A done lesson stays done; the position is still remembered.
    """
    now = timezone.now()
    _enrolment_ensure(user=user, course=course_of_lesson(lesson=lesson))
    progress, _created = LessonProgress.objects.get_or_create(
        user=user,
        lesson=lesson,
        defaults={"state": LessonProgress.State.IN_PROGRESS, "started_at": now},
    )
    fields = []
    if progress.state == LessonProgress.State.NOT_STARTED:
        progress.state = LessonProgress.State.IN_PROGRESS
        progress.started_at = progress.started_at or now
        fields += ["state", "started_at"]
    if position_seconds is not None and position_seconds >= 0:
        progress.last_position_seconds = float(position_seconds)
        fields.append("last_position_seconds")
    if fields:
        progress.save(update_fields=[*fields, "updated_at"])
    return progress


@transaction.atomic
def lesson_complete(
    *, user: AbstractBaseUser, lesson: LessonPage, when: datetime | None = None
) -> LessonProgress:
    """Mark a lesson done (once) and evaluate whether its course is now complete."""
    when = when or timezone.now()
    course = course_of_lesson(lesson=lesson)
    _enrolment_ensure(user=user, course=course)
    progress, _created = LessonProgress.objects.select_for_update().get_or_create(
        user=user,
        lesson=lesson,
        defaults={"state": LessonProgress.State.DONE, "started_at": when, "completed_at": when},
    )
    if progress.state != LessonProgress.State.DONE:
        progress.state = LessonProgress.State.DONE
        progress.started_at = progress.started_at or when
        progress.completed_at = when
        progress.save(update_fields=["state", "started_at", "completed_at", "updated_at"])
    course_completion_evaluate(user=user, course=course, when=when)
    return progress


def course_completion_evaluate(
    *, user: AbstractBaseUser, course: CoursePage, when: datetime | None = None
) -> bool:
    """Record completion once every live required lesson is done.

    Returns True only for the call that recorded it: the completion date and awarded hours
    are written once, however often the rule is evaluated again.
    """
    required = LessonPage.objects.live().child_of(course).filter(required_for_completion=True)
    missing = required.exclude(
        pk__in=LessonProgress.objects.filter(user=user, state=LessonProgress.State.DONE).values(
            "lesson_id"
        )
    )
    if missing.exists() or not required.exists():
        return False  # a course without required lessons is never complete by itself
    recorded = Enrolment.objects.filter(user=user, course=course, completed_at=None).update(
        completed_at=when or timezone.now(), awarded_hours=course.credit_hours or Decimal("0")
    )
    if recorded:  # the study-hour ledger (exams.hours) credits the awarded hours, once
        course_completed.send(sender=CoursePage, user=user, course=course)
    return bool(recorded)


# --- sections ------------------------------------------------------------------

# "Course review", renamed for the Chinese admin by migration courses 0007.
REVIEW_WORKFLOW_NAME = "课程审核"


def course_section_workflow_ensure(*, section: CourseIndexPage) -> bool:
    """Put a course section under the "Course review" workflow (made by a data migration).

    Returns True when it was assigned now. Trainers get no rights on a new section: a
    section is theirs only when an administrator grants their group page permissions there.
    """
    workflow = Workflow.objects.filter(name=REVIEW_WORKFLOW_NAME, active=True).first()
    if workflow is None or WorkflowPage.objects.filter(page=section).exists():
        return False
    WorkflowPage.objects.create(page=section, workflow=workflow)
    return True
