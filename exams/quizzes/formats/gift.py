"""GIFT, Moodle's plain-text question format: parse and export, pure.

What a file may hold (Moodle's documented syntax)::

    // a comment line
    $CATEGORY: $course$/top/安全生产/消防     (→ category ("安全生产", "消防"))

    ::Title:: Question text {=right#feedback ~wrong ~%50%half right ####general feedback}

Questions are separated by blank lines, as Moodle reads them. Escapes: ``\\~ \\= \\# \\{ \\}
\\:`` and ``\\\\``, ``\\n`` for a line break. A text may start with ``[html]``, ``[markdown]``,
``[plain]`` or ``[moodle]``; answers and feedback inherit the question text's format unless
they carry their own. HTML goes through the rich-text whitelist; the other formats are
plain text, escaped. As the bank keeps them (and the admin forms and the other formats
write them): the question text and general feedback are blocks (one paragraph per line);
options, matching prompts and per-answer feedback are one-line rich text (no ``<p>``);
accepted short answers and matching answers are plain strings; true/false options have
no text (the page labels them in the member's language).

How GIFT maps to our types:

=====================================  ==================================================
``{=a ~b ~%50%c}`` (an ``=`` present)  SINGLE (``%n%`` partial credit allowed)
``{~%50%a ~%50%b ~%-100%c}`` (no =)    MULTI
``{T}`` ``{TRUE}`` ``{F}`` ``{FALSE}``  TRUEFALSE (``{T#wrong answer fb#right answer fb}``)
``{=a =%50%b}``                        SHORTANSWER (never case-sensitive)
``{#3.14:0.01}`` ``{#1..5}``           NUMERICAL; ``{# =%100%3:0 =%50%3:1 ~#wrong fb}``
                                        (``~#…`` becomes the incorrect-answer feedback)
``{=a -> 1 =b -> 2 = -> extra}``       MATCHING (an empty prompt is a distractor answer)
``{}`` ``{####feedback}``              ESSAY
text ``{…}`` more text                 missing word: ``_____`` in the text, type as above
=====================================  ==================================================

A text without any ``{…}`` is a Moodle "description", which we do not have: it is listed in
``ParseResult.unsupported`` and among the problems. Choice keys are "a", "b", … in order,
matching pair keys "p1", "p2", …, true/false keys "true" and "false". Multiple-response
grades that Moodle writes as repeating decimals (``%33.33333%`` three times) are nudged so
the right options add up to exactly 100 %.

Export writes what GIFT can carry; ``skipped`` lists what it leaves out: fill in the
blanks and ordering (no GIFT form), short answers containing ``->`` and matching prompts
that would need it in plain text (GIFT cannot escape ``->``). GIFT has no mark, no
case-sensitivity and no correct/partially/incorrect feedback (except a numerical
question's ``~#`` feedback): those come back as defaults when the file is read again.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterator, Sequence
from decimal import Decimal, InvalidOperation

from django.utils.html import escape
from django.utils.translation import gettext as _

from .. import spec as qspec
from ..richtext import clean_html, from_plain_text
from ..validation import spec_errors
from .base import FormatError, ParsedQuestion, ParseProblem, ParseResult, decode_text

EXPORT_TYPES = frozenset(
    {
        qspec.SINGLE,
        qspec.MULTI,
        qspec.TRUEFALSE,
        qspec.SHORTANSWER,
        qspec.NUMERICAL,
        qspec.MATCHING,
        qspec.ESSAY,
    }
)

HUNDRED = Decimal(100)
ONE = Decimal(1)
#: How far from 100 % the right options of a multiple-response question may add up to and
#: still be read as 100 % (Moodle writes thirds as 33.33333 %).
MULTI_SUM_SLACK = Decimal("0.0001")

#: Escaped special characters stand in as lone surrogates while the structure is read (no
#: decoded text can hold one, so nothing collides), and become themselves again in the texts.
_ESCAPABLE = "~=#{}:"
_PLACEHOLDER = {char: chr(0xD800 + index) for index, char in enumerate(_ESCAPABLE)}
_SLASH = "\udfff"  # a "//" (a slash inside a name) in a category path
_RESTORE = str.maketrans({value: key for key, value in _PLACEHOLDER.items()})
_ESCAPE_RE = re.compile(r"\\(.)", re.DOTALL)

_FORMAT_RE = re.compile(r"\[(html|markdown|plain|moodle)\]", re.IGNORECASE)
_WEIGHT_RE = re.compile(r"\s*%(-?\d+(?:\.\d+)?)%")
_CONTEXT_RE = re.compile(r"^\$[a-z]+\$$", re.IGNORECASE)
_TRUE = {"T", "TRUE"}
_FALSE = {"F", "FALSE"}
BLANK = "_____"


class _Bad(Exception):
    """One question is wrong; the message is translated."""


# --- shared helpers (also used by the Aiken format) -------------------------------------


def choice_key(index: int) -> str:
    """ "a", "b", … "z", "aa", "ab", … for the options in authored order."""
    key = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        key = chr(ord("a") + rest) + key
    return key


_PARAGRAPHS_RE = re.compile(r"(?:<p>[^<]*</p>)+")
_PARAGRAPH_RE = re.compile(r"<p>([^<]*)</p>")


def html_as_plain(value: str) -> str | None:
    """The plain text that ``richtext.from_plain_text`` turns into ``value`` exactly, or
    None when ``value`` holds more than escaped paragraphs (markup, images)."""
    if not value:
        return ""
    if not _PARAGRAPHS_RE.fullmatch(value):
        return None
    plain = "\n".join(html.unescape(part) for part in _PARAGRAPH_RE.findall(value))
    return plain if from_plain_text(plain) == value else None


def inline_as_plain(value: str) -> str | None:
    """The plain text whose escaped form is the one-line rich text ``value`` (an option,
    a prompt, a per-answer feedback), or None when ``value`` holds markup."""
    plain = html.unescape(value)
    return plain if escape(plain) == value else None


def html_to_text(value: str) -> str:
    """Rich text as readable plain text (markup dropped): for formats without markup."""
    plain = html_as_plain(value)
    if plain is None:
        plain = inline_as_plain(value)
    if plain is not None:
        return plain
    value = re.sub(r"<br\s*/?>|</(?:p|li|h\d|div)>", "\n", value, flags=re.IGNORECASE)
    value = html.unescape(re.sub(r"<[^>]*>", "", value))
    return "\n".join(line.strip() for line in value.split("\n") if line.strip())


def not_text(text: str) -> bool:
    """Whether decoded "text" is really binary (many control characters)."""
    sample = text[:20000]
    controls = sum(
        1 for char in sample if unicodedata.category(char) == "Cc" and char not in "\n\t\f\v"
    )
    return controls > max(2, len(sample) // 100)


def looks_like_xml(text: str) -> bool:
    head = text.lstrip("\ufeff \t\n")[:200].lower()
    return head.startswith("<?xml") or head.startswith("<quiz") or head.startswith("<!doctype")


# --- parsing ------------------------------------------------------------------------------


def _unescape(text: str) -> str:
    """GIFT escapes → placeholders (for ``~=#{}:``), ``\\n`` → newline, ``\\\\`` → ``\\``."""

    def replace(match: re.Match[str]) -> str:
        char = match.group(1)
        if char in _PLACEHOLDER:
            return _PLACEHOLDER[char]
        if char == "n":
            return "\n"
        if char == "\\":
            return "\\"
        return match.group(0)

    return _ESCAPE_RE.sub(replace, text)


def _restore(text: str) -> str:
    return text.translate(_RESTORE).strip()


def _split_format(raw: str, default: str) -> tuple[str, str]:
    raw = raw.strip()
    match = _FORMAT_RE.match(raw)
    if match:
        return match.group(1).lower(), raw[match.end() :]
    return default, raw


def _rich(raw: str, default: str) -> str:
    """A block of text (question text, general feedback) as whitelisted rich text:
    HTML through the whitelist, any other format escaped, one paragraph per line."""
    fmt, raw = _split_format(raw, default)
    text = _restore(raw)
    if fmt == "html":
        return clean_html(text).strip()
    return from_plain_text(text)


def _inline(raw: str, default: str) -> str:
    """A one-line text (an option, a matching prompt, a per-answer feedback) as the bank
    keeps it: HTML through the whitelist, any other format escaped."""
    fmt, raw = _split_format(raw, default)
    text = _restore(raw)
    if fmt == "html":
        return clean_html(text).strip()
    return escape(text)


def _plain(raw: str) -> str:
    """A text that is data (an accepted answer, a matching answer): as written."""
    return _restore(raw)


def _split_feedback(body: str) -> tuple[str, str]:
    text, _sep, feedback = body.partition("#")
    return text, feedback


def _weight(body: str, default: Decimal) -> tuple[Decimal, str]:
    match = _WEIGHT_RE.match(body)
    if not match:
        return default, body
    return Decimal(match.group(1)) / HUNDRED, body[match.end() :]


def _answers(text: str, markers: str, *, lead: bool = False) -> list[tuple[str, str]]:
    """``text`` cut at each marker character: [(marker, body), …]; text before the first
    marker is refused, or with ``lead`` read as an answer of its own (``{#3.14:0.01}``)."""
    parts = re.split(f"([{re.escape(markers)}])", text)
    if lead and parts[0].strip():
        parts = ["", markers[0], *parts]
    if parts[0].strip():
        raise _Bad(
            _("Unexpected text “%(text)s” before the first answer; start each answer with %(m)s.")
            % {"text": _restore(parts[0])[:40], "m": " ".join(markers)}
        )
    return list(zip(parts[1::2], parts[2::2], strict=True))


def _number(text: str) -> Decimal:
    text = _restore(text)
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or not text:
        raise _Bad(_("“%(value)s” is not a number.") % {"value": text[:40]})
    return value


def _choice_question(answers: str, fmt: str) -> dict:
    pairs = _answers(answers, "~=")
    single = any(marker == "=" for marker, _body in pairs)
    choices = []
    for index, (marker, body) in enumerate(pairs):
        fraction, body = _weight(body, ONE if marker == "=" else Decimal(0))
        text, feedback = _split_feedback(body)
        choices.append(
            qspec.Choice(
                key=choice_key(index),
                text=_inline(text, fmt),
                fraction=fraction,
                feedback=_inline(feedback, fmt),
            )
        )
    if not single:
        choices = _nudge_to_one(choices)
    return {"qtype": qspec.SINGLE if single else qspec.MULTI, "choices": tuple(choices)}


def _nudge_to_one(choices: list[qspec.Choice]) -> list[qspec.Choice]:
    right = [index for index, choice in enumerate(choices) if choice.fraction > 0]
    total = sum((choices[index].fraction for index in right), Decimal(0))
    if not right or total == ONE or abs(total - ONE) > MULTI_SUM_SLACK:
        return choices
    last = choices[right[-1]]
    choices[right[-1]] = qspec.Choice(
        key=last.key, text=last.text, fraction=last.fraction + ONE - total, feedback=last.feedback
    )
    return choices


def _truefalse_question(answers: str, fmt: str) -> dict:
    value, _sep, rest = answers.partition("#")
    wrong, _sep, right = rest.partition("#")
    is_true = value.strip().upper() in _TRUE
    wrong_feedback, right_feedback = _inline(wrong, fmt), _inline(right, fmt)
    return {
        "qtype": qspec.TRUEFALSE,
        "choices": (
            qspec.Choice(
                key="true",
                text="",
                fraction=ONE if is_true else Decimal(0),
                feedback=right_feedback if is_true else wrong_feedback,
            ),
            qspec.Choice(
                key="false",
                text="",
                fraction=Decimal(0) if is_true else ONE,
                feedback=wrong_feedback if is_true else right_feedback,
            ),
        ),
    }


def _shortanswer_question(answers: str, fmt: str) -> dict:
    accepted = []
    for _marker, body in _answers(answers, "="):
        fraction, body = _weight(body, ONE)
        text, feedback = _split_feedback(body)
        accepted.append(
            qspec.TextAnswer(text=_plain(text), fraction=fraction, feedback=_inline(feedback, fmt))
        )
    return {"qtype": qspec.SHORTANSWER, "text_answers": tuple(accepted)}


def _numerical_question(answers: str, fmt: str) -> dict:
    answers = answers[1:]  # the leading "#"
    answers, _sep, wrong = answers.partition("~")
    numeric = []
    for _marker, body in _answers(answers, "=", lead=True):
        fraction, body = _weight(body, ONE)
        text, feedback = _split_feedback(body)
        text = text.strip()
        if text.find("..") > 0:
            low, _sep, high = text.partition("..")
            low_value, high_value = _number(low), _number(high)
            value = (low_value + high_value) / 2
            tolerance = high_value - value
        elif text.find(":") > 0:
            number, _sep, margin = text.partition(":")
            value, tolerance = _number(number), _number(margin)
        else:
            value, tolerance = _number(text), Decimal(0)
        numeric.append(
            qspec.NumericAnswer(
                value=value,
                tolerance=tolerance,
                fraction=fraction,
                feedback=_inline(feedback, fmt),
            )
        )
    if not numeric:
        raise _Bad(_("A numerical question needs at least one answer, as in {#3.14:0.01}."))
    incorrect = _rich(_split_feedback(wrong)[1], fmt) if _sep else ""
    return {
        "qtype": qspec.NUMERICAL,
        "numeric_answers": tuple(numeric),
        "incorrect_feedback": incorrect,
    }


def _matching_question(answers: str, fmt: str) -> dict:
    pairs = []
    for index, (_marker, body) in enumerate(_answers(answers, "=")):
        if "->" not in body:
            raise _Bad(
                _("Write each pair of a matching question as =prompt -> answer (“%(text)s”).")
                % {"text": _restore(body)[:40]}
            )
        prompt, _sep, answer = body.partition("->")
        pairs.append(
            qspec.MatchPair(key=f"p{index + 1}", prompt=_inline(prompt, fmt), answer=_plain(answer))
        )
    return {"qtype": qspec.MATCHING, "pairs": tuple(pairs)}


def _answer_kind(answers: str) -> str:
    if answers == "":
        return qspec.ESSAY
    if answers.startswith("#"):
        return qspec.NUMERICAL
    if "~" in answers:
        return qspec.SINGLE
    if "=" in answers and "->" in answers:
        return qspec.MATCHING
    if answers.partition("#")[0].strip().upper() in _TRUE | _FALSE:
        return qspec.TRUEFALSE
    if answers.startswith("="):
        return qspec.SHORTANSWER
    raise _Bad(
        _(
            "Unknown answer syntax “{%(text)s}”: start answers with = or ~, a number with #, "
            "or write T or F."
        )
        % {"text": _restore(answers)[:40]}
    )


_BUILDERS = {
    qspec.SINGLE: _choice_question,
    qspec.TRUEFALSE: _truefalse_question,
    qspec.SHORTANSWER: _shortanswer_question,
    qspec.NUMERICAL: _numerical_question,
    qspec.MATCHING: _matching_question,
}


class _Description(Exception):
    """A text without answers: a Moodle description, which we do not support."""


def _question(source: str) -> qspec.QuestionSpec:
    text = _unescape(source).strip()
    name = ""
    if text.startswith("::"):
        end = text.find("::", 2)
        if end < 0:
            raise _Bad(_("The question title starts with :: but is not closed with ::."))
        name = _restore(text[2:end])[:255]
        text = text[end + 2 :].strip()
    opens, closes = text.count("{"), text.count("}")
    if opens == 0 and closes == 0:
        raise _Description
    start, end = text.find("{"), text.find("}")
    if opens != closes or end < start:
        raise _Bad(_("Unbalanced braces: every { needs a matching }."))
    if opens > 1:
        raise _Bad(
            _("A question has one answer part in braces { }; separate questions with a blank line.")
        )
    answers = text[start + 1 : end].strip()
    after = text[end + 1 :]
    question_text = text[:start] + BLANK + after if after.strip() else text[:start]
    general_feedback = ""
    cut = answers.rfind("####")
    if cut >= 0:
        general_feedback, answers = answers[cut + 4 :], answers[:cut].strip()
    fmt, question_text = _split_format(question_text, "moodle")
    kind = _answer_kind(answers)
    fields = _BUILDERS[kind](answers, fmt) if kind != qspec.ESSAY else {"qtype": qspec.ESSAY}
    spec = qspec.QuestionSpec(
        text=_rich(question_text, fmt),
        name=name,
        general_feedback=_rich(general_feedback, fmt),
        **fields,
    )
    errors = spec_errors(spec)
    if errors:
        raise _Bad(" ".join(errors))
    return spec


def _blocks(text: str) -> Iterator[tuple[int, list[str]]]:
    """Runs of non-blank lines: (first line number, lines), comment lines dropped."""
    block: list[str] = []
    first = 0
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if not stripped:
            if block:
                yield first, block
            block = []
            continue
        if stripped.startswith("//"):
            continue
        if not block:
            first = number
        block.append(line)
    if block:
        yield first, block


def _category(line: str) -> tuple[str, ...]:
    """``$CATEGORY: $course$/top/A/B`` → ("A", "B"); ``//`` is a slash inside a name."""
    path = line.strip()[len("$CATEGORY:") :].strip().replace("//", _SLASH)
    names = [name.replace(_SLASH, "/").strip() for name in path.split("/")]
    if names and _CONTEXT_RE.match(names[0]):
        names = names[1:]
        if names and names[0].lower() == "top":
            names = names[1:]
    return tuple(name for name in names if name)


def parse(data: bytes) -> ParseResult:
    """Read a GIFT file. Raises ``FormatError`` only for a file that is not text or holds
    nothing that looks like a GIFT question; each bad question becomes a problem."""
    text = decode_text(data)
    if not text.strip():
        raise FormatError(_("The file is empty."))
    if not_text(text):
        raise FormatError(_("This is not a text file."))
    if looks_like_xml(text):
        raise FormatError(_("This is an XML file, not GIFT; import it as Moodle XML."))
    result = ParseResult()
    category: tuple[str, ...] = ()
    seen_answers = False
    for first, lines in _blocks(text):
        if lines[0].strip().startswith("$CATEGORY:"):
            category = _category(lines[0])
            lines, first = lines[1:], first + 1
            if not lines:
                continue
        source = "\n".join(lines)
        seen_answers = seen_answers or "{" in source or "}" in source
        try:
            spec = _question(source)
        except _Description:
            result.problems.append(
                ParseProblem(
                    first,
                    _("Text without answers in braces { } (a Moodle description) is skipped."),
                    qtype="description",
                )
            )
            result.unsupported["description"] = result.unsupported.get("description", 0) + 1
            continue
        except _Bad as bad:
            result.problems.append(ParseProblem(first, str(bad)))
            continue
        result.questions.append(ParsedQuestion(spec=spec, category=category, line=first))
    if not seen_answers:
        raise FormatError(
            _("No GIFT questions found: a GIFT question has its answers in braces { }.")
        )
    return result


# --- export -------------------------------------------------------------------------------


def _escape(text: str) -> str:
    text = text.replace("\\", "\\\\")
    for char in _ESCAPABLE:
        text = text.replace(char, "\\" + char)
    return text.replace("\r", "").replace("\n", "\\n")


def _exportable(question: ParsedQuestion) -> bool:
    spec = question.spec
    if spec.qtype not in EXPORT_TYPES:
        return False
    if spec.qtype == qspec.SHORTANSWER and any("->" in a.text for a in spec.text_answers):
        return False
    return not (spec.qtype == qspec.MATCHING and any("->" in pair.prompt for pair in spec.pairs))


def skipped(questions: Sequence[ParsedQuestion]) -> list[ParsedQuestion]:
    """The questions ``export`` leaves out: fill in the blanks and ordering (GIFT has no
    form for them), and the few that GIFT cannot write (``->`` inside a short answer or a
    matching prompt's markup)."""
    return [question for question in questions if not _exportable(question)]


def _write(value: str, *, default: str, inline: bool = True, risky=("[",)) -> str:
    """A rich text as GIFT: plain text where it is only escaped text (or paragraphs of it),
    else HTML; with a ``[format]`` prefix where it differs from ``default`` or the text
    could be misread (it starts with ``[``, or, for a question text, ``//`` or ``$``)."""
    if not value:
        return ""
    plain = inline_as_plain(value) if inline else html_as_plain(value)
    if plain is None or (inline and "->" in plain):
        mode, written = "html", _escape(value)
    else:
        mode, written = "moodle", _escape(plain)
    if mode != default or written.startswith(risky):
        return f"[{mode}]{written}"
    return written


def _question_format(spec: qspec.QuestionSpec) -> str:
    """The format of the question text, which the other texts inherit."""
    return "moodle" if html_as_plain(spec.text) is not None else "html"


def _number_text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _percent(fraction: Decimal) -> str:
    return f"%{_number_text(fraction * HUNDRED)}%"


def _feedback(value: str, mode: str) -> str:
    return f"#{_write(value, default=mode)}" if value else ""


def _choice_lines(spec: qspec.QuestionSpec, mode: str) -> list[str]:
    lines, marked = [], False
    for choice in spec.choices:
        text = _write(choice.text, default=mode)
        if spec.qtype == qspec.SINGLE and choice.fraction == ONE and not marked:
            marked = True
            prefix = "=" + (_percent(ONE) if text.startswith("%") else "")
        elif choice.fraction == 0 and not text.startswith("%"):
            prefix = "~"
        else:
            prefix = "~" + _percent(choice.fraction)
        lines.append(f"\t{prefix}{text}{_feedback(choice.feedback, mode)}")
    return lines


def _answer_part(spec: qspec.QuestionSpec, mode: str) -> list[str]:
    qtype = spec.qtype
    if qtype in (qspec.SINGLE, qspec.MULTI):
        return _choice_lines(spec, mode)
    if qtype == qspec.TRUEFALSE:
        by_key = {choice.key: choice for choice in spec.choices}
        is_true = by_key["true"].fraction == ONE
        right = by_key["true" if is_true else "false"].feedback
        wrong = by_key["false" if is_true else "true"].feedback
        part = "TRUE" if is_true else "FALSE"
        if wrong or right:
            part += "#" + _write(wrong, default=mode)
        if right:
            part += "#" + _write(right, default=mode)
        return [part]
    if qtype == qspec.SHORTANSWER:
        return [
            f"\t={_percent(a.fraction)}{_escape(a.text)}{_feedback(a.feedback, mode)}"
            for a in spec.text_answers
        ]
    if qtype == qspec.NUMERICAL:
        lines = ["#"]
        for a in spec.numeric_answers:
            number = f"{_number_text(a.value)}:{_number_text(a.tolerance)}"
            lines.append(f"\t={_percent(a.fraction)}{number}{_feedback(a.feedback, mode)}")
        if spec.incorrect_feedback:
            feedback = _write(spec.incorrect_feedback, default=mode, inline=False)
            lines.append(f"\t~#{feedback}")
        return lines
    if qtype == qspec.MATCHING:
        return [
            f"\t={_write(pair.prompt, default=mode)} -> {_escape(pair.answer)}"
            for pair in spec.pairs
        ]
    return []


def _export_question(spec: qspec.QuestionSpec) -> str:
    mode = _question_format(spec)
    head = f"::{_escape(spec.name)}::" if spec.name else ""
    head += _write(spec.text, default="moodle", inline=False, risky=("[", "//", "$"))
    lines = _answer_part(spec, mode)
    feedback = ""
    if spec.general_feedback:
        feedback = "####" + _write(spec.general_feedback, default=mode, inline=False)
    if spec.qtype in (qspec.TRUEFALSE, qspec.ESSAY):
        return f"{head} {{{''.join(lines)}{feedback}}}\n"
    if spec.qtype == qspec.NUMERICAL:
        first, *rest = lines
        body = "\n".join([head + " {" + first, *rest])
    else:
        body = "\n".join([head + " {", *lines])
    if feedback:
        body += f"\n\t{feedback}"
    return body + "\n}\n"


def _category_line(path: tuple[str, ...]) -> str:
    names = [name.replace("/", "//") for name in path]
    return "$CATEGORY: " + "/".join(["$course$", "top", *names]) + "\n"


def export(questions: Sequence[ParsedQuestion]) -> bytes:
    """The questions as a UTF-8 GIFT file that Moodle and ``parse`` read; a category line
    before each change of category. Questions in ``skipped(questions)`` are left out."""
    out = ["// GIFT questions (UTF-8)\n"]
    category: tuple[str, ...] | None = None
    for question in questions:
        if not _exportable(question):
            continue
        if question.category != category and (category is not None or question.category):
            out.append("\n" + _category_line(question.category))
        category = question.category
        out.append("\n" + _export_question(question.spec))
    return "".join(out).encode("utf-8")
