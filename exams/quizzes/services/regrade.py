"""Regrading: a trainer corrected a question, and the attempts already taken follow.

``question_regrade`` moves every answer to the question in a *finished* attempt onto the
chosen version (default: the question's current one) and grades the stored response again
with ``grading.grade``. Answers marked by hand (essays) keep their marks; the mark each
answer is worth in its attempt does not change. Each attempt whose answers changed is then
rescored with ``attempts.attempt_rescore``: its score, percent and pass, the member's quiz
result, and through it course completion and study hours, follow.

Attempts still in progress are left alone (the member is looking at the version they were
shown); they are graded on the version they show when submitted — regrade again after
they finish. A run is idempotent: answers already on the version with the same score are
not touched, so a second run changes nothing. A dry run does the same work inside a
savepoint that is rolled back, so its report (including new totals and pass/fail) is
exactly what the real run would do, and it stores nothing.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .. import audit, grading
from .. import spec as qspec
from ..models import Attempt, AttemptQuestion, Question, QuestionVersion, QuizLessonPage
from ..presentation import option_order_for
from .attempts import attempt_rescore
from .marking import FINISHED_STATES, user_may_mark

#: At most this many attempt changes are written into one audit-log entry.
AUDIT_CHANGES_MAX = 200


@dataclass(frozen=True)
class AttemptChange:
    """One attempt whose answers changed; totals before and after."""

    attempt_id: int
    quiz_id: int
    user_id: int
    number: int
    positions: tuple[int, ...]
    old_score: Decimal | None
    new_score: Decimal | None
    old_percent: Decimal | None
    new_percent: Decimal | None
    old_passed: bool | None
    new_passed: bool | None

    @property
    def pass_changed(self) -> bool:
        return self.old_passed != self.new_passed


@dataclass(frozen=True)
class RegradeReport:
    question_id: int
    version_id: int
    version_number: int
    dry_run: bool
    answers_checked: int = 0
    answers_changed: int = 0
    in_progress_skipped: int = 0
    other_type_skipped: int = 0
    changes: tuple[AttemptChange, ...] = field(default_factory=tuple)

    @property
    def attempts_changed(self) -> int:
        return len(self.changes)


def _merged_order(stored: list, spec: qspec.QuestionSpec) -> list:
    """The stored option order, minus keys the new version lacks, plus its new keys at the
    end: the member's view of the options stays as it was, nothing is hidden."""
    keys = option_order_for(spec, shuffle=False, rng=random.Random(0))
    kept = [key for key in stored or [] if key in keys]
    return kept + [key for key in keys if key not in kept]


def _regraded(answer: AttemptQuestion, target: QuestionVersion) -> dict | None:
    """The fields of ``answer`` that change on ``target``, or None when nothing does."""
    spec = target.spec_obj
    updates: dict = {}
    if answer.version_id != target.pk:
        updates["version"] = target
        order = _merged_order(answer.option_order, spec)
        if order != list(answer.option_order or []):
            updates["option_order"] = order
    if spec.qtype not in qspec.MANUALLY_GRADED:
        fraction = grading.grade(spec, answer.response).fraction
        if fraction is not None:
            new_score = grading.score(fraction=fraction, mark=answer.mark)
            if answer.fraction is None or fraction != answer.fraction:
                updates["fraction"] = fraction
            if answer.score is None or new_score != answer.score:
                updates["score"] = new_score
    return updates or None


def _target_version(*, question: Question, version_id: int | None) -> QuestionVersion:
    if version_id is None:
        if question.current_version_id is None:
            raise ValidationError(_("This question has no version to regrade onto."))
        return QuestionVersion.objects.get(pk=question.current_version_id)
    target = QuestionVersion.objects.filter(pk=version_id, question_id=question.pk).first()
    if target is None:
        raise ValidationError(_("That version does not belong to this question."))
    return target


def question_regrade(
    *,
    question_id: int,
    version_id: int | None = None,
    user: AbstractBaseUser,
    dry_run: bool = False,
) -> RegradeReport:
    """Regrade every finished attempt's answer to ``question_id`` onto ``version_id``
    (default: the current version) and rescore the attempts that changed.

    Raises ``PermissionDenied`` (not a trainer) and ``ValidationError`` (no such question
    or version); nothing is stored then, nor ever on a dry run.
    """
    if not user_may_mark(user):
        raise PermissionDenied(_("Only trainers may regrade questions."))
    question = Question.objects.filter(pk=question_id).first()
    if question is None:
        raise ValidationError(_("No such question."))
    target = _target_version(question=question, version_id=version_id)
    qtype = target.spec_obj.qtype

    with transaction.atomic():
        answers = AttemptQuestion.objects.filter(version__question_id=question.pk)
        in_progress = answers.filter(attempt__state=Attempt.State.IN_PROGRESS).count()
        attempt_ids = list(
            answers.filter(attempt__state__in=FINISHED_STATES)
            .order_by("attempt_id")
            .values_list("attempt_id", flat=True)
            .distinct()
        )
        checked = changed_answers = other_type = 0
        changes: list[AttemptChange] = []
        for attempt_id in attempt_ids:
            attempt = Attempt.objects.select_for_update().get(pk=attempt_id)
            if attempt.state not in FINISHED_STATES:
                continue  # reopened meanwhile: not ours to touch
            positions = []
            for answer in (
                AttemptQuestion.objects.select_for_update(of=("self",))
                .filter(attempt_id=attempt.pk, version__question_id=question.pk)
                .select_related("version")
                .order_by("position")
            ):
                checked += 1
                if answer.version.spec_obj.qtype != qtype:
                    other_type += 1
                    continue
                updates = _regraded(answer, target)
                if updates is None:
                    continue
                for name, value in updates.items():
                    setattr(answer, name, value)
                answer.save(update_fields=[f for f in updates if f != "version"] + ["version"])
                positions.append(answer.position)
            if not positions:
                continue
            changed_answers += len(positions)
            before = (attempt.score, attempt.percent, attempt.passed)
            attempt = attempt_rescore(attempt_id=attempt.pk)
            changes.append(
                AttemptChange(
                    attempt_id=attempt.pk,
                    quiz_id=attempt.quiz_id,
                    user_id=attempt.user_id,
                    number=attempt.number,
                    positions=tuple(positions),
                    old_score=before[0],
                    new_score=attempt.score,
                    old_percent=before[1],
                    new_percent=attempt.percent,
                    old_passed=before[2],
                    new_passed=attempt.passed,
                )
            )
        report = RegradeReport(
            question_id=question.pk,
            version_id=target.pk,
            version_number=target.number,
            dry_run=dry_run,
            answers_checked=checked,
            answers_changed=changed_answers,
            in_progress_skipped=in_progress,
            other_type_skipped=other_type,
            changes=tuple(changes),
        )
        if dry_run:
            transaction.set_rollback(True)
        else:
            _log(report=report, question=question, by=user)
    return report


def _log(*, report: RegradeReport, question: Question, by: AbstractBaseUser) -> None:
    """One entry per quiz whose attempts changed (nothing changed: nothing to log)."""
    by_quiz: dict[int, list[AttemptChange]] = defaultdict(list)
    for change in report.changes:
        by_quiz[change.quiz_id].append(change)
    for quiz in QuizLessonPage.objects.filter(pk__in=by_quiz):
        changes = by_quiz[quiz.pk]
        audit.quiz_log(
            quiz=quiz,
            action=audit.ACTION_REGRADE,
            by=by,
            data={
                "question": question.pk,
                "question_name": question.name,
                "version": report.version_number,
                "attempts_changed": len(changes),
                "changes": [
                    {
                        "attempt": c.attempt_id,
                        "member": c.user_id,
                        "number": c.number,
                        "positions": list(c.positions),
                        "score": [c.old_score, c.new_score],
                        "percent": [c.old_percent, c.new_percent],
                        "passed": [c.old_passed, c.new_passed],
                    }
                    for c in changes[:AUDIT_CHANGES_MAX]
                ],
            },
        )
