"""Grading: pure functions from a question spec and a member's response to a grade.

Nothing here touches the database or trusts the response: ``grade`` accepts whatever the
browser sent (``None``, any JSON type, huge strings, unknown keys, options the question
does not have) and never raises; what it cannot read earns 0 for that part. The response
shapes are documented in ``exams.quizzes.spec``.

A fraction is the share of the question's mark earned, a ``Decimal`` within [0, 1],
quantized to 7 decimal places (ROUND_HALF_UP). As in Moodle, a fraction within
``FULL_MARKS_SLACK`` of 1 counts as 1, so three right options of 33.33333% each, as
Moodle files carry them, earn full marks.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Any

from . import spec as qspec

ZERO = Decimal(0)
ONE = Decimal(1)
FRACTION_PLACES = Decimal("0.0000001")
SCORE_PLACES = Decimal("0.001")
PERCENT_PLACES = Decimal("0.01")
#: A fraction this close to 1 is full marks (Moodle's rule for 1/3 + 1/3 + 1/3).
FULL_MARKS_SLACK = Decimal("0.000001")
#: Typed text longer than this (characters) matches no accepted answer.
MAX_TEXT_LENGTH = 10_000
#: A typed number longer than this (characters) is not a number.
MAX_NUMBER_LENGTH = 100

RIGHT = "right"
PARTIAL = "partial"
WRONG = "wrong"
UNANSWERED = "unanswered"
MANUAL = "manual"
STATES = (RIGHT, PARTIAL, WRONG, UNANSWERED, MANUAL)

GRADING_METHODS = ("highest", "average", "first", "last")


@dataclass(frozen=True)
class Grade:
    """How a response did.

    ``fraction`` is None while the response waits for a trainer's marking (an essay).
    ``feedback`` holds the per-answer feedback (HTML) of what the member chose or typed,
    in the question's order, empty ones left out. ``state`` is one of ``STATES``:
    "right" (fraction 1), "partial", "wrong" (something given that earns 0),
    "unanswered" (0: no response, not an object, or its field missing or empty) or
    "manual" (fraction None).
    """

    fraction: Decimal | None
    feedback: tuple[str, ...]
    state: str


# --- helpers ---------------------------------------------------------------------------


def _field(response: Any, key: str) -> Any:
    return response.get(key) if isinstance(response, dict) else None


def _blank(value: Any) -> bool:
    """Whether ``value`` means "nothing given" (absent, null, empty, only spaces)."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | dict):
        return len(value) == 0
    return False


def _fraction(value: Decimal) -> Decimal:
    """``value`` clamped to [0, 1], snapped to 1 within the slack, quantized."""
    if not value.is_finite() or value <= ZERO:
        return ZERO.quantize(FRACTION_PLACES)
    if value >= ONE - FULL_MARKS_SLACK:
        return ONE.quantize(FRACTION_PLACES)
    return value.quantize(FRACTION_PLACES, rounding=ROUND_HALF_UP)


def _graded(value: Decimal, feedback: Sequence[str] = (), *, unanswered: bool = False) -> Grade:
    fraction = _fraction(value)
    if fraction == ONE:
        state = RIGHT
    elif fraction > ZERO:
        state = PARTIAL
    else:
        state = UNANSWERED if unanswered else WRONG
    return Grade(fraction=fraction, feedback=tuple(f for f in feedback if f), state=state)


def normalise_text(text: str, *, case_sensitive: bool = False) -> str:
    """``text`` as typed answers are compared: NFKC (full-width letters, digits and
    punctuation become their half-width forms), whitespace runs collapsed to one space,
    trimmed, and case-folded unless ``case_sensitive``."""
    text = " ".join(unicodedata.normalize("NFKC", text).split())
    return text if case_sensitive else text.casefold()


def _bounded(text: str, start: int, end: int, *, before: bool, after: bool) -> bool:
    """Whether ``text[start:end]`` has a space (or the text's edge) just before it when
    ``before`` and just after it when ``after``."""
    return (not before or start == 0 or text[start - 1] == " ") and (
        not after or end == len(text) or text[end] == " "
    )


def text_matches(pattern: str, text: str, *, case_sensitive: bool = False) -> bool:
    """Whether typed ``text`` matches an accepted answer ``pattern``.

    In the pattern ``*`` stands for any run of characters (also none), every other
    character is literal. The text matches when some replacement of the wildcards makes
    the pattern equal to the text once both are normalised (``normalise_text``): so
    ``"a * b"`` accepts ``"a b"`` and ``"a x b"`` but not ``"ab"``, and ``"the *"``
    accepts ``"the end"`` but not ``"them"``.

    Runs in time linear in the text's length per pattern part (no regular expressions,
    so no catastrophic backtracking); text longer than ``MAX_TEXT_LENGTH`` matches nothing.
    """
    if len(text) > MAX_TEXT_LENGTH:
        return False
    pattern = normalise_text(pattern, case_sensitive=case_sensitive)
    text = normalise_text(text, case_sensitive=case_sensitive)
    parts = pattern.split("*")
    if len(parts) == 1:
        return text == pattern
    # Each part's words must appear in order; a space that the part has beside a wildcard
    # needs a space (or the text's edge) there, which neighbouring parts may share.
    head, *middle, tail = parts
    head_core, tail_core = head.strip(), tail.strip()
    if not text.startswith(head_core) or not _bounded(
        text, 0, len(head_core), before=False, after=head.endswith(" ")
    ):
        return False
    tail_start = len(text) - len(tail_core)
    if tail_start < len(head_core) or not text.endswith(tail_core):
        return False
    if not _bounded(text, tail_start, len(text), before=tail.startswith(" "), after=False):
        return False
    cursor = len(head_core)
    for part in middle:
        core = part.strip()
        if not core:
            continue
        before, after = part.startswith(" "), part.endswith(" ")
        found = text.find(core, cursor, tail_start)
        while found >= 0 and not _bounded(
            text, found, found + len(core), before=before, after=after
        ):
            found = text.find(core, found + 1, tail_start)
        if found < 0:
            return False
        cursor = found + len(core)
    return True


def _best_text_answer(
    answers: Sequence[qspec.TextAnswer], typed: Any, *, case_sensitive: bool
) -> qspec.TextAnswer | None:
    if not isinstance(typed, str) or not typed.strip():
        return None
    best = None
    for answer in answers:
        if text_matches(answer.text, typed, case_sensitive=case_sensitive) and (
            best is None or answer.fraction > best.fraction
        ):
            best = answer
    return best


_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?")


def parse_number(typed: Any) -> Decimal | None:
    """A typed number as a ``Decimal``, or None when it is not one.

    Accepts ``"1.5"``, ``"1,5"`` (one comma and no point: a decimal comma), full-width
    digits, surrounding spaces, a sign and an exponent (at most three digits); a JSON
    number is read as its decimal text. Rejects NaN, infinities, booleans, thousands
    separators and anything else.
    """
    if isinstance(typed, bool) or not isinstance(typed, str | int | float):
        return None
    text = unicodedata.normalize("NFKC", str(typed)).strip()
    if len(text) > MAX_NUMBER_LENGTH:
        return None
    if "," in text:
        if "." in text or text.count(",") != 1:
            return None
        text = text.replace(",", ".")
    if not _NUMBER.fullmatch(text):
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        return None
    return value if value.is_finite() else None


# --- one pure function per type ----------------------------------------------------------


def _choice_by_key(spec: qspec.QuestionSpec, key: Any) -> qspec.Choice | None:
    if not isinstance(key, str):
        return None
    return next((choice for choice in spec.choices if choice.key == key), None)


def grade_single(spec: qspec.QuestionSpec, response: Any) -> Grade:
    """Single choice: the chosen option's fraction (a negative one counts as 0).

    ``{"choice": key}``; an unknown key or a non-string earns 0.
    """
    key = _field(response, "choice")
    if _blank(key):
        return _graded(ZERO, unanswered=True)
    choice = _choice_by_key(spec, key)
    if choice is None:
        return _graded(ZERO)
    return _graded(choice.fraction, [choice.feedback])


def grade_truefalse(spec: qspec.QuestionSpec, response: Any) -> Grade:
    """True/false: as single choice, the keys being ``"true"`` and ``"false"``."""
    return grade_single(spec, response)


def grade_multi(spec: qspec.QuestionSpec, response: Any) -> Grade:
    """Multiple response: the sum of the chosen options' fractions (negative ones
    subtract), clamped to [0, 1]. An option chosen twice counts once; keys the question
    does not have and non-strings count 0; the order of the list does not matter.
    Feedback follows the question's option order.

    ``{"choices": [key, ...]}``; anything but a list earns 0.
    """
    keys = _field(response, "choices")
    if _blank(keys):
        return _graded(ZERO, unanswered=True)
    if not isinstance(keys, list):
        return _graded(ZERO)
    chosen = {key for key in keys if isinstance(key, str)}
    picked = [choice for choice in spec.choices if choice.key in chosen]
    total = sum((choice.fraction for choice in picked), ZERO)
    return _graded(total, [choice.feedback for choice in picked])


def grade_shortanswer(spec: qspec.QuestionSpec, response: Any) -> Grade:
    """Short answer: the best fraction among the accepted answers the typed text matches
    (``text_matches``: trimmed, whitespace collapsed, NFKC, case-insensitive unless
    ``spec.case_sensitive``, ``*`` for any run of characters).

    ``{"text": str}``; anything but a string earns 0.
    """
    typed = _field(response, "text")
    if _blank(typed):
        return _graded(ZERO, unanswered=True)
    best = _best_text_answer(spec.text_answers, typed, case_sensitive=spec.case_sensitive)
    if best is None:
        return _graded(ZERO)
    return _graded(best.fraction, [best.feedback])


def grade_numerical(spec: qspec.QuestionSpec, response: Any) -> Grade:
    """Numerical: the best fraction among the answers whose ``value`` lies within its
    ``tolerance`` of the typed number, bounds included (``|typed - value| <= tolerance``,
    in exact decimal arithmetic). The typed number is read by ``parse_number``; what is
    not a finite number earns 0.

    ``{"value": str}``.
    """
    typed = _field(response, "value")
    if _blank(typed):
        return _graded(ZERO, unanswered=True)
    number = parse_number(typed)
    if number is None:
        return _graded(ZERO)
    best = None
    with localcontext() as context:
        context.prec = 2000  # exact for every number parse_number admits
        for answer in spec.numeric_answers:
            if not (answer.value.is_finite() and answer.tolerance.is_finite()):
                continue
            if abs(number - answer.value) <= answer.tolerance and (
                best is None or answer.fraction > best.fraction
            ):
                best = answer
    if best is None:
        return _graded(ZERO)
    return _graded(best.fraction, [best.feedback])


def gap_count(spec: qspec.QuestionSpec) -> int:
    """How many gaps a fill-in-the-blanks question has: its highest gap number, in the
    text (``[[n]]``) or among its accepted answers."""
    numbers = [int(n) for n in re.findall(qspec.GAP_MARKER, spec.text)]
    numbers += [answer.gap for answer in spec.text_answers]
    return max(numbers, default=0)


def grade_gapfill(spec: qspec.QuestionSpec, response: Any) -> Grade:
    """Fill in the blanks: the mean over the gaps of each gap's best matching fraction
    (matched as short answers are). The n-th string of the list fills gap n; a missing,
    extra or non-string entry earns 0 for its gap (extras are ignored).

    ``{"gaps": [str, ...]}``.
    """
    typed = _field(response, "gaps")
    if _blank(typed) or (isinstance(typed, list) and all(_blank(t) for t in typed)):
        return _graded(ZERO, unanswered=True)
    count = gap_count(spec)
    if not isinstance(typed, list) or count == 0:
        return _graded(ZERO)
    total, feedback = ZERO, []
    for gap in range(1, count + 1):
        answers = [answer for answer in spec.text_answers if answer.gap == gap]
        text = typed[gap - 1] if gap <= len(typed) else None
        best = _best_text_answer(answers, text, case_sensitive=spec.case_sensitive)
        if best is not None:
            total += best.fraction
            feedback.append(best.feedback)
    with localcontext() as context:
        context.prec = 50
        mean = total / count
    return _graded(mean, feedback)


def matching_prompts(spec: qspec.QuestionSpec) -> list[qspec.MatchPair]:
    """The pairs a member matches (a pair with a blank prompt is a distractor answer)."""
    return [pair for pair in spec.pairs if pair.prompt.strip()]


def grade_matching(spec: qspec.QuestionSpec, response: Any) -> Grade:
    """Matching: the share of prompts whose chosen answer text equals that pair's answer
    (exactly; two prompts may share an answer text). Unknown prompt keys are ignored.

    ``{"matches": {prompt_key: answer_text}}``; anything but an object earns 0.
    """
    matches = _field(response, "matches")
    if _blank(matches):
        return _graded(ZERO, unanswered=True)
    prompts = matching_prompts(spec)
    if not isinstance(matches, dict) or not prompts:
        return _graded(ZERO)
    right = sum(1 for pair in prompts if matches.get(pair.key) == pair.answer)
    return _graded(Decimal(right) / Decimal(len(prompts)))


def grade_ordering(spec: qspec.QuestionSpec, response: Any) -> Grade:
    """Ordering, by absolute position (Moodle's "absolute position" grading): the share
    of items that the member put at their correct place, counted from the top. Entries
    past the last item are ignored; a key the question does not have is wrong where it
    stands.

    ``{"order": [item_key, ...]}``; anything but a list earns 0.
    """
    order = _field(response, "order")
    if _blank(order):
        return _graded(ZERO, unanswered=True)
    if not isinstance(order, list) or not spec.items:
        return _graded(ZERO)
    right = sum(
        1
        for item, key in zip(spec.items, order, strict=False)
        if isinstance(key, str) and key == item.key
    )
    return _graded(Decimal(right) / Decimal(len(spec.items)))


def grade_essay(spec: qspec.QuestionSpec, response: Any) -> Grade:
    """Essay: marked by a trainer, so the fraction waits (None, state "manual"); an
    empty essay (or no text at all) earns 0 at once, state "unanswered".

    ``{"text": str}``.
    """
    text = _field(response, "text")
    if not isinstance(text, str) or not text.strip():
        return _graded(ZERO, unanswered=True)
    return Grade(fraction=None, feedback=(), state=MANUAL)


_GRADERS: dict[str, Callable[[qspec.QuestionSpec, Any], Grade]] = {
    qspec.SINGLE: grade_single,
    qspec.MULTI: grade_multi,
    qspec.TRUEFALSE: grade_truefalse,
    qspec.SHORTANSWER: grade_shortanswer,
    qspec.NUMERICAL: grade_numerical,
    qspec.GAPFILL: grade_gapfill,
    qspec.MATCHING: grade_matching,
    qspec.ORDERING: grade_ordering,
    qspec.ESSAY: grade_essay,
}


def grade(spec: qspec.QuestionSpec, response: Any) -> Grade:
    """``response`` graded against ``spec`` by its type's rule (see ``grade_<type>``).

    Never raises for any response; an unknown question type earns 0.
    """
    grader = _GRADERS.get(spec.qtype)
    if grader is None:
        return _graded(ZERO)
    return grader(spec, response)


# --- scores and quiz grades ---------------------------------------------------------------


def score(*, fraction: Decimal, mark: Decimal) -> Decimal:
    """The points a fraction of ``mark`` is worth, to 3 decimal places (ROUND_HALF_UP).

    The fraction is clamped to [0, 1] and a negative mark counts as 0, so a score is
    always within [0, mark] (for marks of at most 3 decimal places, as slots store them).
    """
    fraction = min(max(fraction, ZERO), ONE)
    mark = max(mark, ZERO)
    return (fraction * mark).quantize(SCORE_PLACES, rounding=ROUND_HALF_UP)


def percent(*, score: Decimal, max_score: Decimal) -> Decimal:
    """``score`` as a percentage of ``max_score``, 2 decimal places, within [0, 100]
    (0 when ``max_score`` is not positive)."""
    if max_score <= ZERO:
        return ZERO.quantize(PERCENT_PLACES)
    value = min(max(score / max_score * 100, ZERO), Decimal(100))
    return value.quantize(PERCENT_PLACES, rounding=ROUND_HALF_UP)


def quiz_grade(*, method: str, percents: Sequence[Decimal]) -> Decimal | None:
    """A member's grade in a quiz from the percentages of their graded attempts, in
    attempt order, by the quiz's grading method: "highest", "average" (the mean),
    "first" or "last". 2 decimal places (ROUND_HALF_UP); None without any attempt.

    Raises ``ValueError`` for another method (a programming error, not bad input).
    """
    if method not in GRADING_METHODS:
        raise ValueError(f"unknown grading method: {method!r}")
    if not percents:
        return None
    if method == "highest":
        value = max(percents)
    elif method == "average":
        value = sum(percents, ZERO) / len(percents)
    elif method == "first":
        value = percents[0]
    else:
        value = percents[-1]
    return Decimal(value).quantize(PERCENT_PLACES, rounding=ROUND_HALF_UP)
