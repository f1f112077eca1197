"""Every act that changes a member's quiz score by hand goes to Wagtail's audit log.

Actions: ``quizzes.mark`` (a trainer marks or re-marks an essay answer) and
``quizzes.regrade`` (a corrected question is regraded across finished attempts). Entries
are written about the quiz lesson page (a ``PageLogEntry``), so they appear in the page's
history and in the site history, scoped as Wagtail scopes pages. Each entry keeps who
(``user``), when, and what (``data``: old and new values).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.log_actions import log

from .models import QuizLessonPage

ACTION_MARK = "quizzes.mark"
ACTION_REGRADE = "quizzes.regrade"


def plain(value: Any) -> Any:
    """JSON-ready: decimals as strings (exact), the rest as is."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def quiz_log(
    *, quiz: QuizLessonPage, action: str, by: AbstractBaseUser | None, data: dict[str, Any]
) -> None:
    """One audit-log entry about ``quiz`` (``by`` None: the admin request's user, if any)."""
    log(quiz, action, user=by, data=plain(data))


@hooks.register("register_log_actions")
def register_quiz_log_actions(actions) -> None:
    actions.register_action(ACTION_MARK, _("Mark an answer"), _("Answer marked"))
    actions.register_action(ACTION_REGRADE, _("Regrade a question"), _("Question regraded"))
