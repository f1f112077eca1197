"""Marking by hand: trainers give essay answers their score and a comment.

Who marks: superusers and trainers (the ``Trainers`` role), never the member whose attempt
it is. A mark is a score within ``[0, mark]`` of the question in the attempt; marking
again replaces the mark, and every mark goes to the audit log with the old and the new
values. The attempt's totals, the member's quiz result, completion and hours follow
through ``attempts.attempt_rescore``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from cms import roles
from cms.selectors import user_has_role

from .. import audit
from .. import spec as qspec
from ..models import Attempt, AttemptQuestion
from .attempts import attempt_rescore

COMMENT_MAX_CHARS = 10_000
FRACTION_PLACES = Decimal("0.0000001")
SCORE_PLACES = Decimal("0.001")
FINISHED_STATES = (Attempt.State.NEEDS_GRADING, Attempt.State.GRADED)


def user_may_mark(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    """Superusers and trainers mark answers, regrade questions and see quiz statistics."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or user_has_role(user=user, role=roles.TRAINERS)


def marking_queue(
    *, quiz_id: int | None = None, include_marked: bool = False
) -> QuerySet[AttemptQuestion]:
    """Answers marked by hand in finished attempts, the oldest submission first:
    only those still waiting for a mark unless ``include_marked``."""
    answers = AttemptQuestion.objects.filter(
        attempt__state__in=FINISHED_STATES,
        version__question__qtype__in=sorted(qspec.MANUALLY_GRADED),
    ).select_related("attempt__quiz", "attempt__user__profile", "version__question", "graded_by")
    if not include_marked:
        answers = answers.filter(graded_at__isnull=True, fraction__isnull=True)
    if quiz_id is not None:
        answers = answers.filter(attempt__quiz_id=quiz_id)
    return answers.order_by("attempt__submitted_at", "attempt_id", "position")


def plain_number(value: Decimal) -> str:
    """``10.00`` as "10", ``2.50`` as "2.5" (never "1E+1")."""
    return format(value.normalize(), "f")


def _score_error(message: str) -> ValidationError:
    return ValidationError({"score": [message]})


def _clean_score(score: Decimal | str | int, mark: Decimal) -> Decimal:
    try:
        value = Decimal(str(score).strip())
    except (InvalidOperation, ValueError):
        raise _score_error(_("Enter a number.")) from None
    if not value.is_finite():
        raise _score_error(_("Enter a number."))
    if value < 0 or value > mark:
        raise _score_error(
            _("The score must be between 0 and %(mark)s.") % {"mark": plain_number(mark)}
        )
    return value.quantize(SCORE_PLACES, rounding=ROUND_HALF_UP)


@transaction.atomic
def essay_mark(
    *,
    marker: AbstractBaseUser,
    attempt_question_id: int,
    score: Decimal,
    comment: str,
) -> AttemptQuestion:
    """Give one hand-graded answer its score and the marker's comment, then rescore the
    attempt. Raises ``PermissionDenied`` (not a trainer; their own attempt), ``Http404``
    (no such answer, or the attempt is still in progress) and ``ValidationError`` (score
    out of range, comment too long); nothing is stored then."""
    if not user_may_mark(marker):
        raise PermissionDenied(_("Only trainers may mark answers."))
    answer = (
        AttemptQuestion.objects.filter(pk=attempt_question_id)
        .select_related("version__question")
        .first()
    )
    if answer is None:
        raise Http404(_("No such answer."))
    attempt = Attempt.objects.select_for_update().get(pk=answer.attempt_id)
    if attempt.user_id == marker.pk:
        raise PermissionDenied(_("You cannot mark your own attempt."))
    if attempt.state not in FINISHED_STATES:
        raise Http404(_("This attempt has not been submitted yet."))
    if answer.version.question.qtype not in qspec.MANUALLY_GRADED:
        raise ValidationError(_("Only essay answers are marked by hand."))
    answer = AttemptQuestion.objects.select_for_update().get(pk=answer.pk)
    value = _clean_score(score, answer.mark)
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX_CHARS:
        raise ValidationError(
            {"comment": [_("The comment is too long (at most %d characters).") % COMMENT_MAX_CHARS]}
        )

    before = {
        "score": answer.score,
        "comment": answer.comment,
        "graded_by": answer.graded_by_id,
        "attempt_score": attempt.score,
        "attempt_percent": attempt.percent,
        "attempt_passed": attempt.passed,
    }
    fraction = (value / answer.mark).quantize(FRACTION_PLACES) if answer.mark > 0 else Decimal(0)
    answer.fraction = min(fraction, Decimal(1))
    answer.score = value
    answer.comment = comment
    answer.graded_by = marker
    answer.graded_at = timezone.now()
    answer.save(update_fields=["fraction", "score", "comment", "graded_by", "graded_at"])
    attempt = attempt_rescore(attempt_id=attempt.pk)

    audit.quiz_log(
        quiz=attempt.quiz,
        action=audit.ACTION_MARK,
        by=marker,
        data={
            "attempt": attempt.pk,
            "attempt_number": attempt.number,
            "member": attempt.user_id,
            "attempt_question": answer.pk,
            "position": answer.position,
            "question": answer.version.question_id,
            "remark": before["graded_by"] is not None or before["score"] is not None,
            "score": [before["score"], answer.score],
            "comment": [before["comment"], answer.comment],
            "attempt_score": [before["attempt_score"], attempt.score],
            "attempt_percent": [before["attempt_percent"], attempt.percent],
            "attempt_passed": [before["attempt_passed"], attempt.passed],
        },
    )
    return answer
