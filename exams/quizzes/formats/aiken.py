"""Aiken, the simplest question format: single-choice questions in plain text. Pure.

::

    Which extinguisher suits an electrical fire?      (question text; may span lines)
    A. Water
    B) Carbon dioxide
    C. Foam
    ANSWER: B

Options are a capital letter, ``.`` or ``)`` and a space (the Chinese ``、``, ``．`` and
``）`` are accepted too), one line each; ``ANSWER:`` (or ``答案:``) names the right letter
and ends the question. Blank lines between questions are optional. Everything is plain
text: the question escaped, one paragraph per line; each option escaped (one-line rich
text, as the bank keeps options). Option keys are "a", "b", … in order.

Export writes only single-choice questions with one option fully right and the rest
wrong (what Aiken can say); it never raises: ``skipped`` lists the questions it leaves
out (other types, partial credit, several right options, more than 26 options, texts
that would read back as an option or answer line). Markup is written as plain text,
feedback, mark and name are dropped (Aiken has none).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.html import escape
from django.utils.translation import gettext as _

from .. import spec as qspec
from ..richtext import from_plain_text
from ..validation import spec_errors
from .base import FormatError, ParsedQuestion, ParseProblem, ParseResult, decode_text
from .gift import choice_key, html_to_text, looks_like_xml, not_text

_OPTION_RE = re.compile(r"([A-Z])(?:[.)][ \t]+|[、．）][ \t]*)(.*)")
_ANSWER_RE = re.compile(r"(?:ANSWER|答案)[ \t]*[:：](.*)", re.IGNORECASE)
MAX_OPTIONS = 26
ONE = Decimal(1)


@dataclass
class _Draft:
    line: int
    text: list[str] = field(default_factory=list)
    options: list[tuple[str, str]] = field(default_factory=list)  # (letter, text)


def _finish(draft: _Draft, answer: str) -> qspec.QuestionSpec:
    """The spec of a complete question, or ``ValueError`` with the translated reason."""
    letters = [letter for letter, _text in draft.options]
    if len(letters) < 2:
        raise ValueError(_("An Aiken question needs at least two options (A. …, B. …)."))
    duplicates = sorted({letter for letter in letters if letters.count(letter) > 1})
    if duplicates:
        raise ValueError(_("Option %(letter)s appears more than once.") % {"letter": duplicates[0]})
    answer = answer.strip().rstrip(".").strip().upper()
    if not re.fullmatch(r"[A-Z]", answer):
        named = re.sub(r"[\s,，、;；]", "", answer)
        if len(named) > 1 and set(named) <= set(letters):
            raise ValueError(_("An Aiken question has one right answer; ANSWER names several."))
        raise ValueError(_("ANSWER must name the letter of one option, as in ANSWER: B."))
    if answer not in letters:
        raise ValueError(
            _("ANSWER: %(letter)s is not one of the options (%(letters)s).")
            % {"letter": answer, "letters": ", ".join(letters)}
        )
    choices = tuple(
        qspec.Choice(
            key=choice_key(index),
            text=escape(text),
            fraction=ONE if letter == answer else Decimal(0),
        )
        for index, (letter, text) in enumerate(draft.options)
    )
    spec = qspec.QuestionSpec(
        qtype=qspec.SINGLE, text=from_plain_text("\n".join(draft.text)), choices=choices
    )
    errors = spec_errors(spec)
    if errors:
        raise ValueError(" ".join(errors))
    return spec


def parse(data: bytes) -> ParseResult:
    """Read an Aiken file. Raises ``FormatError`` only for a file that is not text or has
    no option or ANSWER line at all; each bad question becomes a problem."""
    text = decode_text(data)
    if not text.strip():
        raise FormatError(_("The file is empty."))
    if not_text(text):
        raise FormatError(_("This is not a text file."))
    if looks_like_xml(text):
        raise FormatError(_("This is an XML file, not Aiken; import it as Moodle XML."))
    result = ParseResult()
    draft: _Draft | None = None
    seen = False

    def unfinished(current: _Draft) -> None:
        result.problems.append(
            ParseProblem(current.line, _("The question has no ANSWER line (ANSWER: B).")),
        )

    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line:
            continue
        answer = _ANSWER_RE.fullmatch(line)
        option = None if answer else _OPTION_RE.fullmatch(line)
        if answer:
            seen = True
            if draft is None:
                result.problems.append(
                    ParseProblem(number, _("An ANSWER line without a question before it."))
                )
                continue
            try:
                spec = _finish(draft, answer.group(1))
            except ValueError as error:
                result.problems.append(ParseProblem(draft.line, str(error)))
            else:
                result.questions.append(ParsedQuestion(spec=spec, line=draft.line))
            draft = None
        elif option:
            seen = True
            if draft is None:
                draft = _Draft(line=number)
            draft.options.append((option.group(1), option.group(2).strip()))
        else:
            if draft is not None and draft.options:
                unfinished(draft)
                draft = None
            if draft is None:
                draft = _Draft(line=number)
            draft.text.append(line)
    if draft is not None:
        unfinished(draft)
    if not seen:
        raise FormatError(
            _("No Aiken questions found: options are lines like “A. …” and end with “ANSWER: A”.")
        )
    return result


# --- export -------------------------------------------------------------------------------


def _lines(value: str) -> list[str]:
    return [line.strip() for line in html_to_text(value).split("\n") if line.strip()]


def _reads_as_marker(line: str) -> bool:
    return bool(_OPTION_RE.fullmatch(line) or _ANSWER_RE.fullmatch(line))


def _exportable(question: ParsedQuestion) -> bool:
    spec = question.spec
    if spec.qtype != qspec.SINGLE or not 2 <= len(spec.choices) <= MAX_OPTIONS:
        return False
    if sorted(choice.fraction for choice in spec.choices)[-2:] != [Decimal(0), ONE]:
        return False
    if any(choice.fraction not in (Decimal(0), ONE) for choice in spec.choices):
        return False
    text = _lines(spec.text)
    if not text or any(_reads_as_marker(line) for line in text):
        return False
    return all(len(_lines(choice.text)) == 1 for choice in spec.choices)


def skipped(questions: Sequence[ParsedQuestion]) -> list[ParsedQuestion]:
    """The questions ``export`` leaves out (see the module's docstring)."""
    return [question for question in questions if not _exportable(question)]


def export(questions: Sequence[ParsedQuestion]) -> bytes:
    """The exportable questions as a UTF-8 Aiken file; never raises — the others are left
    out (``skipped`` names them). Categories are not written (Aiken has none)."""
    out = []
    for question in questions:
        if not _exportable(question):
            continue
        spec = question.spec
        lines = _lines(spec.text)
        right = ""
        for index, choice in enumerate(spec.choices):
            letter = chr(ord("A") + index)
            lines.append(f"{letter}. {_lines(choice.text)[0]}")
            if choice.fraction == ONE:
                right = letter
        lines.append(f"ANSWER: {right}")
        out.append("\n".join(lines) + "\n")
    return "\n".join(out).encode("utf-8")
