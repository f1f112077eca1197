"""Whether a question spec is complete enough to be asked: pure, translated messages.

The bank's services, the admin form and every importer refuse a spec with errors, so a
question that cannot be answered right (no correct option, a gap without answers) never
reaches a member.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from . import spec as qspec
from .grading import FULL_MARKS_SLACK, parse_number

ONE = Decimal(1)


def _numbers(spec: qspec.QuestionSpec) -> list[Decimal]:
    numbers = [spec.default_mark]
    numbers += [choice.fraction for choice in spec.choices]
    numbers += [answer.fraction for answer in spec.text_answers]
    for answer in spec.numeric_answers:
        numbers += [answer.value, answer.tolerance, answer.fraction]
    return numbers


def _has_text(html: str) -> bool:
    """Whether rich text shows something: words, or an image (``<img>`` or Wagtail's
    database format ``<embed embedtype="image">``)."""
    return bool(strip_tags(html).strip()) or "<img" in html or "<embed" in html


def _fraction_errors(fractions: list[Decimal], *, allow_negative: bool) -> list[str]:
    low = Decimal(-1) if allow_negative else Decimal(0)
    if any(not (low <= f <= ONE) for f in fractions):
        if allow_negative:
            return [_("Every answer's grade must be between -100% and 100%.")]
        return [_("Every answer's grade must be between 0% and 100%.")]
    return []


def _keys_unique(keys: list[str]) -> list[str]:
    if len(set(keys)) != len(keys) or any(not key for key in keys):
        return [_("Options need distinct keys.")]
    return []


def _text_answer_errors(answers: tuple[qspec.TextAnswer, ...]) -> list[str]:
    errors = []
    if any(not a.text.strip() for a in answers):
        errors.append(_("An accepted answer cannot be empty."))
    elif any(a.fraction == ONE and not a.text.replace("*", "").strip() for a in answers):
        # "*" alone accepts anything: fine as a 0% catch-all, but not as "the" answer.
        errors.append(_("A fully right answer must be more than wildcards (*)."))
    return errors


def gap_numbers(text: str) -> list[int]:
    """The gap numbers in a fill-in-the-blanks text, in order of appearance."""
    return [int(number) for number in re.findall(qspec.GAP_MARKER, text)]


def spec_errors(spec: qspec.QuestionSpec) -> list[str]:
    """What is wrong with ``spec``, for the trainer; empty when it can be asked."""
    errors: list[str] = []
    if spec.qtype not in qspec.QUESTION_TYPES:
        return [_("Unknown question type: %(type)s.") % {"type": spec.qtype}]
    if not all(isinstance(n, Decimal) and n.is_finite() for n in _numbers(spec)):
        # NaN and infinity cannot even be compared: nothing else can be checked.
        return [_("Marks, grades, values and tolerances must be finite numbers.")]
    if not _has_text(spec.text):
        errors.append(_("The question has no text."))
    if not (Decimal(0) < spec.default_mark <= Decimal(1000)):
        errors.append(_("The mark must be more than 0 and at most 1000."))
    qtype = spec.qtype
    if qtype in (qspec.SINGLE, qspec.MULTI, qspec.TRUEFALSE):
        fractions = [choice.fraction for choice in spec.choices]
        errors += _keys_unique([choice.key for choice in spec.choices])
        errors += _fraction_errors(fractions, allow_negative=qtype == qspec.MULTI)
        if qtype == qspec.TRUEFALSE:
            if sorted(choice.key for choice in spec.choices) != ["false", "true"]:
                errors.append(_("A true/false question has exactly the options true and false."))
            elif sorted(fractions) != [Decimal(0), ONE]:
                errors.append(_("One of true and false must be right (100%), the other 0%."))
        elif len(spec.choices) < 2:
            errors.append(_("A choice question needs at least two options."))
        elif any(not strip_tags(choice.text).strip() for choice in spec.choices):
            errors.append(_("Every option needs a text."))
        elif qtype == qspec.SINGLE and max(fractions) != ONE:
            errors.append(_("One option must be fully right (100%)."))
        elif qtype == qspec.MULTI and abs(sum(f for f in fractions if f > 0) - ONE) > (
            FULL_MARKS_SLACK
        ):
            errors.append(_("The right options' grades must add up to 100%."))
    elif qtype == qspec.SHORTANSWER:
        if not spec.text_answers:
            errors.append(_("A short-answer question needs at least one accepted answer."))
        errors += _fraction_errors([a.fraction for a in spec.text_answers], allow_negative=False)
        if spec.text_answers and max(a.fraction for a in spec.text_answers) != ONE:
            errors.append(_("One accepted answer must be fully right (100%)."))
        errors += _text_answer_errors(spec.text_answers)
    elif qtype == qspec.NUMERICAL:
        if not spec.numeric_answers:
            errors.append(_("A numerical question needs at least one answer."))
        errors += _fraction_errors([a.fraction for a in spec.numeric_answers], allow_negative=False)
        if spec.numeric_answers and max(a.fraction for a in spec.numeric_answers) != ONE:
            errors.append(_("One answer must be fully right (100%)."))
        if any(a.tolerance < 0 for a in spec.numeric_answers):
            errors.append(_("A tolerance cannot be negative."))
        if any(parse_number(str(a.value)) is None for a in spec.numeric_answers):
            errors.append(_("An answer is too long or too large a number to type."))
    elif qtype == qspec.GAPFILL:
        numbers = gap_numbers(spec.text)
        if not numbers:
            errors.append(_("Mark the gaps in the text as [[1]], [[2]] and so on."))
        elif sorted(set(numbers)) != list(range(1, len(set(numbers)) + 1)):
            errors.append(_("Number the gaps 1, 2, 3… without skipping."))
        elif len(numbers) != len(set(numbers)):
            errors.append(_("Each gap may appear only once in the text."))
        errors += _fraction_errors([a.fraction for a in spec.text_answers], allow_negative=False)
        for number in sorted(set(numbers)):
            answers = [a for a in spec.text_answers if a.gap == number]
            if not answers or max(a.fraction for a in answers) != ONE:
                errors.append(
                    _("Gap %(gap)d needs an accepted answer that is fully right.") % {"gap": number}
                )
        if any(a.gap not in numbers for a in spec.text_answers):
            errors.append(_("An accepted answer belongs to a gap that is not in the text."))
        errors += _text_answer_errors(spec.text_answers)
    elif qtype == qspec.MATCHING:
        prompts = [pair for pair in spec.pairs if pair.prompt.strip()]
        errors += _keys_unique([pair.key for pair in spec.pairs])
        if len(prompts) < 2:
            errors.append(_("A matching question needs at least two pairs."))
        if any(not pair.answer.strip() for pair in spec.pairs):
            errors.append(_("Every pair needs an answer."))
    elif qtype == qspec.ORDERING:
        errors += _keys_unique([item.key for item in spec.items])
        if len(spec.items) < 2:
            errors.append(_("An ordering question needs at least two items."))
        if any(not strip_tags(item.text).strip() for item in spec.items):
            errors.append(_("Every item needs a text."))
    return errors
