"""Whether a member may be credited for a lesson right now: one SQL statement.

Every path that credits asks this (each heartbeat, "mark as done", quiz results), so that
a member deactivated, a lesson or course unpublished, an audience moved or a lesson
locked by course order stops crediting at once. A heartbeat is the platform's most
frequent request: through the ORM these facts took three to four queries whose Python
cost was most of a beat's (bench/README.md, "where the time goes"); here they are one
plain statement that runs the same on SQLite and PostgreSQL, and the decision is made in
Python below. The rules are those of ``courses.selectors.lesson_visible_to`` and
``lesson_is_locked``: a live lesson of a live course whose audience is everyone, the
member's unit or one of its ancestors (trainers, staff and superusers see every course),
and, in a course with its order enforced, every earlier required live lesson done.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.utils.translation import gettext as _
from wagtail.models import Page

from cms import roles
from cms.models import MemberProfile, Unit
from cms.prepared_statements import prepared_cursor

from .models import CoursePage, LessonPage, LessonProgress


@dataclass(frozen=True)
class CreditRefusal:
    """Why a member may not be credited for a lesson now."""

    code: str  # "inactive", "not_open", "locked" or "by_quiz"
    message: str  # translated, for the member


def _sql() -> str:
    q = connection.ops.quote_name
    user = get_user_model()
    t = {
        "user": q(user._meta.db_table),
        "user_groups": q(user.groups.through._meta.db_table),
        "group": q(Group._meta.db_table),
        "profile": q(MemberProfile._meta.db_table),
        "unit": q(Unit._meta.db_table),
        "page": q(Page._meta.db_table),
        "course": q(CoursePage._meta.db_table),
        "lesson": q(LessonPage._meta.db_table),
        "audience": q(CoursePage.audience_units.through._meta.db_table),
        "progress": q(LessonProgress._meta.db_table),
    }
    step = Page.steplen
    return f"""
SELECT u.is_active, u.is_superuser, u.is_staff, l.live, c.page_ptr_id, cp.live,
  c.audience_everyone, c.enforce_order,
  EXISTS (SELECT 1 FROM {t["audience"]} a JOIN {t["unit"]} au ON au.id = a.unit_id
          WHERE a.coursepage_id = c.page_ptr_id AND un.path LIKE au.path || '%%'),
  EXISTS (SELECT 1 FROM {t["user_groups"]} ug JOIN {t["group"]} g ON g.id = ug.group_id
          WHERE ug.user_id = u.id AND g.name = %s),
  EXISTS (SELECT 1 FROM {t["page"]} e JOIN {t["lesson"]} el ON el.page_ptr_id = e.id
          WHERE e.live AND el.required_for_completion AND e.depth = l.depth
            AND e.path LIKE cp.path || '%%' AND e.path < l.path
            AND NOT EXISTS (SELECT 1 FROM {t["progress"]} lp
                            WHERE lp.lesson_id = e.id AND lp.user_id = u.id
                              AND lp.state = %s)),
  lesson.completion
FROM {t["user"]} u
LEFT JOIN {t["profile"]} p ON p.user_id = u.id
LEFT JOIN {t["unit"]} un ON un.id = p.unit_id
LEFT JOIN {t["page"]} l ON l.id = %s
LEFT JOIN {t["lesson"]} lesson ON lesson.page_ptr_id = l.id
LEFT JOIN {t["page"]} cp ON cp.path = SUBSTR(l.path, 1, LENGTH(l.path) - {step})
LEFT JOIN {t["course"]} c ON c.page_ptr_id = cp.id
WHERE u.id = %s AND lesson.page_ptr_id IS NOT NULL
"""


def lesson_credit_refusal(
    *, user_id: int, lesson_id: int, completion: str = LessonPage.Completion.WATCH_LOG
) -> CreditRefusal | None:
    """Why ``user_id`` may not be credited for ``lesson_id`` now, by a path of kind
    ``completion`` (the watch log, or a quiz result); None if they may."""
    with prepared_cursor() as cursor:
        cursor.execute(_sql(), [roles.TRAINERS, LessonProgress.State.DONE, lesson_id, user_id])
        row = cursor.fetchone()
    not_open = CreditRefusal("not_open", _("This lesson is not open to you."))
    if row is None:  # no such member, or no such lesson
        if not get_user_model()._default_manager.filter(pk=user_id, is_active=True).exists():
            return CreditRefusal("inactive", _("Your account is not active."))
        return not_open
    (active, superuser, staff, lesson_live, course_id, course_live) = row[:6]
    everyone, ordered, in_audience, trainer, earlier_undone, lesson_completion = row[6:]
    if not active:
        return CreditRefusal("inactive", _("Your account is not active."))
    if not (lesson_live and course_id is not None and course_live):
        return not_open
    if not (everyone or superuser or staff or trainer or in_audience):
        return not_open
    if ordered and earlier_undone:
        return CreditRefusal("locked", _("Finish the lessons before this one first."))
    if lesson_completion != completion:
        return CreditRefusal("by_quiz", _("This lesson is completed by passing its quiz."))
    return None
