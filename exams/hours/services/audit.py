"""Every act that changes someone's study hours goes to Wagtail's audit log.

Actions (registered in ``exams.hours.wagtail_hooks``): attendance added or removed (a
removal is the correction of an attendance), a change of the study-hour rules, a
recomputation of the ledger, a change of a course's credit hours. Each entry keeps who
(the user; None for the system, e.g. ``manage.py recompute_study_hours``), when, and
what (``data``).
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import models
from wagtail.log_actions import log

ACTION_ATTENDANCE_ADDED = "hours.attendance_added"
ACTION_ATTENDANCE_REMOVED = "hours.attendance_removed"
ACTION_RULES_CHANGED = "hours.rules_changed"
ACTION_RECOMPUTE = "hours.recompute"
ACTION_COURSE_CREDIT_CHANGED = "hours.course_credit_changed"

RULES_AUDITED = (
    "credit_course_completion",
    "credit_engaged_time",
    "credit_quiz_pass",
    "minutes_per_hour",
    "daily_cap_hours",
    "study_session_max_hours",
    "course_credit_max_hours",
)


def _plain(value):
    return str(value) if isinstance(value, Decimal) else value


def hours_log(
    *, instance: models.Model, action: str, by: AbstractBaseUser | None, data: dict
) -> None:
    """Write one audit-log entry about ``instance`` (``by`` None: the user of the admin
    request, if any, else the system)."""
    log(instance, action, user=by, data=data)


# --- rules: edited through Wagtail's settings admin ------------------------------------


def rules_on_pre_save(*, instance, raw: bool = False, **_kwargs) -> None:
    """``pre_save`` of ``StudyHourRules``: remember the stored values to compare."""
    if raw or instance.pk is None:
        instance._hours_rules_before = None
        return
    instance._hours_rules_before = (
        type(instance).objects.filter(pk=instance.pk).values(*RULES_AUDITED).first()
    )


def rules_on_post_save(*, instance, created: bool, raw: bool = False, **_kwargs) -> None:
    """``post_save`` of ``StudyHourRules``: log what changed, by the admin user."""
    before = getattr(instance, "_hours_rules_before", None)
    instance._hours_rules_before = None
    if raw or created or before is None:
        return
    changed = {
        name: [_plain(before[name]), _plain(getattr(instance, name))]
        for name in RULES_AUDITED
        if before[name] != getattr(instance, name)
    }
    if changed:
        hours_log(instance=instance, action=ACTION_RULES_CHANGED, by=None, data=changed)


# --- course credit: a course page's credit hours, as published -------------------------


def course_on_pre_save(*, instance, raw: bool = False, update_fields=None, **_kwargs) -> None:
    """``pre_save`` of ``CoursePage``: the credit hours stored before this save."""
    instance._hours_credit_before = None
    if raw or instance.pk is None:
        return
    if update_fields is not None and "credit_hours" not in update_fields:
        return
    instance._hours_credit_before = (
        type(instance).objects.filter(pk=instance.pk).values_list("credit_hours", flat=True).first()
    )


def course_on_post_save(*, instance, raw: bool = False, **_kwargs) -> None:
    """``post_save`` of ``CoursePage``: log a change of the live credit hours (they are
    what a completion awards), by the admin user who published it."""
    before = getattr(instance, "_hours_credit_before", None)
    instance._hours_credit_before = None
    if raw or before is None:
        return
    after = Decimal(str(instance.credit_hours or 0))
    if Decimal(before) == after:
        return
    hours_log(
        instance=instance,
        action=ACTION_COURSE_CREDIT_CHANGED,
        by=None,
        data={"credit_hours": [_plain(before), _plain(after)]},
    )
