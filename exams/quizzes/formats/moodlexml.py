"""Moodle XML (``<quiz>`` of ``<question>`` elements), parsed and written.

Parsing is pure and safe: the XML goes through ``defusedxml`` (no entity expansion, no
external entities or DTD fetches), so a "billion laughs" or an XXE file is refused as a
whole with a ``FormatError``. Each ``<question>`` becomes a ``ParsedQuestion`` (its line is
the line of the ``<question>`` start tag) or a ``ParseProblem``; nothing of a bad question is
kept.

What maps to what:

- ``<question type="category">`` sets the category of the questions after it:
  ``$course$/top/A/B`` → ``("A", "B")`` (a ``//`` in a name is Moodle's escaped ``/``);
  ``<info>`` is ignored.
- ``multichoice`` → single (``<single>true``) or multi; ``truefalse``; ``shortanswer``
  (``<usecase>``); ``numerical`` (answers with ``<tolerance>``; a ``*`` catch-all answer
  only carries feedback and is dropped; units are ignored); ``matching`` (a subquestion
  with empty text is a distractor answer); ``ordering`` (the qtype_ordering plugin:
  answers in the correct order); ``essay``; ``multianswer`` (Cloze) → fill in the blanks
  when every gap is a short-answer gap (``{1:SHORTANSWER:=a~%50%b}``, ``SA``, ``MW``, and
  the case-sensitive ``_C``/``SAC``/``MWC`` forms, all gaps of one weight); the gaps
  become ``[[1]]``, ``[[2]]``….
- Every other type (``calculated``, ``randomsamatch``, ``gapselect``, ``ddwtos``,
  ``ddimageortext``, ``description``…) is listed in ``unsupported`` with a problem each.
- ``fraction="50"`` → ``Decimal("0.5")``; a multiple-response question whose right
  answers add up to 100% within rounding (3 × 33.33333%) is snapped to exactly 100%.
- Text in ``format="html"`` goes through the rich-text whitelist; ``plain_text``,
  ``moodle_auto_format`` and ``markdown`` are escaped into paragraphs.
- Images embedded as ``@@PLUGINFILE@@`` files (``<file>`` elements) cannot be stored by a
  pure parser: they are dropped, the rest of the question is kept.
- ``partiallycorrectfeedback``, hints, penalty, tags and ``idnumber`` have no place in our
  questions and are ignored. True/false options have no text in Moodle: they come in with
  an empty text (the quiz page labels them True/False in the member's language).
- Option, prompt and item texts and per-answer feedback are kept as the admin forms keep
  them: whitelisted HTML, or escaped text when there are no tags.

The export writes every type (fill in the blanks as a Cloze ``multianswer``, ordering as
the qtype_ordering layout, ``correctfeedback``/``incorrectfeedback`` on every type), each
question preceded by a category question when its category changes; parsing an export
gives the same specs back.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser
from django.utils.html import escape, strip_tags
from django.utils.translation import gettext as _

from .. import spec as qspec
from ..bank import question_default_name
from ..richtext import clean_html, from_plain_text
from ..validation import spec_errors
from .base import (
    LARGEST,
    PLACES,
    FormatError,
    ParsedQuestion,
    ParseProblem,
    ParseResult,
    snap_to_one,
    split_unescaped,
    tidy,
    unescape,
)

HUNDRED = Decimal(100)
ONE = Decimal(1)
#: Fractions keep 7 decimal places, as Moodle stores them.
#: Larger numbers are no marks, grades or answers anyone means.

SUPPORTED = frozenset(
    {
        "multichoice",
        "truefalse",
        "shortanswer",
        "numerical",
        "matching",
        "ordering",
        "essay",
        "multianswer",
    }
)

_TAG = re.compile(r"<[a-zA-Z/][^>]*>")
_PLUGINFILE_IMG = re.compile(r"<img\b[^>]*@@PLUGINFILE@@[^>]*>", re.IGNORECASE)
_CLOZE_TYPES = {
    "SHORTANSWER": False,
    "SA": False,
    "MW": False,
    "SHORTANSWER_C": True,
    "SAC": True,
    "MWC": True,
}
_CLOZE_START = re.compile(r"\{(\d*):([A-Za-z_]+):")
_XML_DECL_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_EXPAT_ENCODINGS = {"utf-8", "utf8", "utf-16", "utf16", "us-ascii", "ascii", "iso-8859-1"}
_INVALID_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class _Bad(Exception):
    """One question cannot be imported; the message is translated."""


# --- reading -----------------------------------------------------------------------


class _LineTarget:
    """A tree builder that remembers the line of each ``<question>`` start tag."""

    def __init__(self) -> None:
        self.builder = TreeBuilder()
        self.lines: dict[int, int] = {}
        self.parser: DefusedXMLParser | None = None

    def start(self, tag: str, attrib: dict[str, str]) -> Element:
        element = self.builder.start(tag, attrib)
        if tag == "question" and self.parser is not None:
            self.lines[id(element)] = self.parser.parser.CurrentLineNumber
        return element

    def end(self, tag: str) -> Element:
        return self.builder.end(tag)

    def data(self, data: str) -> None:
        self.builder.data(data)

    def close(self) -> Element:
        return self.builder.close()


def _reencoded(data: bytes) -> bytes:
    """Expat reads only UTF-8/UTF-16/ASCII/Latin-1: a file declared in another encoding
    (GB2312, GBK, GB18030…) is decoded here and handed over as UTF-8."""
    match = _XML_DECL_ENCODING.match(data[:400])
    if not match:
        return data
    encoding = match.group(1).decode("ascii").lower()
    if encoding in _EXPAT_ENCODINGS:
        return data
    if encoding in {"gb2312", "gbk", "gb_2312-80", "cp936"}:
        encoding = "gb18030"  # a superset: files labelled GB2312 often hold GBK characters
    try:
        text = data.decode(encoding)
    except (LookupError, UnicodeDecodeError) as error:
        raise FormatError(
            _("The XML file's text does not match its declared encoding (%(encoding)s).")
            % {"encoding": match.group(1).decode("ascii")}
        ) from error
    declared = match.group(1).decode("ascii")
    return text.replace(declared, "utf-8", 1).encode("utf-8")


def _read_tree(data: bytes) -> tuple[Element, dict[int, int]]:
    if not data.strip():
        raise FormatError(_("The file is empty."))
    data = _reencoded(data)
    target = _LineTarget()
    parser = DefusedXMLParser(
        target=target, forbid_dtd=False, forbid_entities=True, forbid_external=True
    )
    target.parser = parser
    try:
        parser.feed(data)
        root = parser.close()
    except DefusedXmlException as error:
        raise FormatError(
            _("The XML file declares entities or external references, which are refused.")
        ) from error
    except ParseError as error:
        line = getattr(error, "position", (None,))[0]
        raise FormatError(
            _("This is not a well-formed XML file (line %(line)s); it may be truncated.")
            % {"line": line or "?"}
        ) from error
    if root.tag != "quiz":
        raise FormatError(_("This XML file is not a Moodle question file (no <quiz> root)."))
    return root, target.lines


def _text_of(element: Element | None, path: str = "text") -> str:
    if element is None:
        return ""
    node = element.find(path) if path else element
    if node is None:
        return ""
    return "".join(node.itertext())


def _rich(element: Element | None) -> str:
    """A Moodle ``<x format="…"><text>…</text></x>`` as whitelisted rich text."""
    if element is None:
        return ""
    raw = _text_of(element).strip()
    if not raw:
        return ""
    fmt = (element.get("format") or "html").lower()
    if fmt == "html":
        return clean_html(_PLUGINFILE_IMG.sub("", raw)).strip()
    return from_plain_text(_PLUGINFILE_IMG.sub("", raw))


def inline_html(text: str) -> str:
    """HTML of a one-line text (option, prompt, item, per-answer feedback) as the bank
    keeps it: through the whitelist, or, without tags, as escaped text (as the admin
    forms store what a trainer types)."""
    text = text.strip()
    if not text:
        return ""
    if _TAG.search(text):
        return clean_html(_PLUGINFILE_IMG.sub("", text)).strip()
    return escape(html.unescape(text))


def _inline(element: Element | None) -> str:
    if element is None:
        return ""
    raw = _text_of(element).strip()
    if (element.get("format") or "html").lower() == "html":
        return inline_html(raw)
    return escape(raw)


def _plain(element: Element | None) -> str:
    """An answer that is a plain string (short answer, matching answer)."""
    if element is None:
        return ""
    raw = _text_of(element)
    if (element.get("format") or "").lower() == "html":
        raw = html.unescape(strip_tags(raw))
    return raw.strip()


def _decimal(value: str, what: str) -> Decimal:
    message = _("%(what)s is not a number: %(value)s.") % {"what": what, "value": value[:40]}
    try:
        number = Decimal(value.strip().replace(",", "."))
        if not number.is_finite() or abs(number) > LARGEST:
            raise _Bad(message)
        return tidy(number)
    except (InvalidOperation, AttributeError) as error:
        raise _Bad(message) from error


def _fraction(value: str | None) -> Decimal:
    if value is None or not value.strip():
        return Decimal(0)
    try:
        return tidy((_decimal(value, _("A grade")) / HUNDRED).quantize(PLACES))
    except InvalidOperation as error:
        raise _Bad(_("A grade is out of range: %(value)s.") % {"value": value}) from error


def _category_path(text: str) -> tuple[str, ...]:
    names = [name.replace("\x00", "/").strip() for name in text.replace("//", "\x00").split("/")]
    if names and names[0].startswith("$") and names[0].endswith("$"):
        names = names[1:]
    if names and names[0] == "top":
        names = names[1:]
    return tuple(name for name in names if name)


def _choice_key(index: int) -> str:
    return chr(ord("a") + index) if index < 26 else f"o{index + 1}"


def _common(question: Element) -> dict:
    name = _text_of(question.find("name")).strip()
    mark_text = _text_of(question, "defaultgrade").strip()
    return {
        "name": name[:255],
        "text": _rich(question.find("questiontext")),
        "general_feedback": _rich(question.find("generalfeedback")),
        "default_mark": _decimal(mark_text, _("The default mark")) if mark_text else ONE,
        "correct_feedback": _rich(question.find("correctfeedback")),
        "incorrect_feedback": _rich(question.find("incorrectfeedback")),
    }


def _is_true(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes"}


def _multichoice(question: Element, base: dict) -> qspec.QuestionSpec:
    answers = question.findall("answer")
    fractions = [_fraction(a.get("fraction")) for a in answers]
    single = _is_true(_text_of(question, "single") or "true")
    if not single:
        fractions = snap_to_one(fractions)
    choices = tuple(
        qspec.Choice(
            key=_choice_key(i),
            text=_inline(answer),
            fraction=fractions[i],
            feedback=_inline(answer.find("feedback")),
        )
        for i, answer in enumerate(answers)
    )
    qtype = qspec.SINGLE if single else qspec.MULTI
    return qspec.QuestionSpec(qtype=qtype, choices=choices, **base)


def _truefalse(question: Element, base: dict) -> qspec.QuestionSpec:
    choices = []
    for answer in question.findall("answer"):
        value = _plain(answer).lower()
        if value not in ("true", "false"):
            raise _Bad(
                _("A true/false answer must be “true” or “false”, not “%(value)s”.")
                % {"value": value[:40]}
            )
        choices.append(
            qspec.Choice(
                key=value,
                text="",
                fraction=_fraction(answer.get("fraction")),
                feedback=_inline(answer.find("feedback")),
            )
        )
    choices.sort(key=lambda choice: choice.key != "true")
    return qspec.QuestionSpec(qtype=qspec.TRUEFALSE, choices=tuple(choices), **base)


def _shortanswer(question: Element, base: dict) -> qspec.QuestionSpec:
    answers = tuple(
        qspec.TextAnswer(
            text=_plain(answer),
            fraction=_fraction(answer.get("fraction")),
            feedback=_inline(answer.find("feedback")),
        )
        for answer in question.findall("answer")
    )
    return qspec.QuestionSpec(
        qtype=qspec.SHORTANSWER,
        text_answers=answers,
        case_sensitive=_is_true(_text_of(question, "usecase") or "0"),
        **base,
    )


def _numerical(question: Element, base: dict) -> qspec.QuestionSpec:
    answers = []
    for answer in question.findall("answer"):
        value = _plain(answer)
        if value == "*":
            continue  # Moodle's "any other answer", only there for its feedback
        tolerance = _text_of(answer, "tolerance").strip()
        answers.append(
            qspec.NumericAnswer(
                value=_decimal(value, _("A numerical answer")),
                tolerance=_decimal(tolerance, _("A tolerance")) if tolerance else Decimal(0),
                fraction=_fraction(answer.get("fraction")),
                feedback=_inline(answer.find("feedback")),
            )
        )
    return qspec.QuestionSpec(qtype=qspec.NUMERICAL, numeric_answers=tuple(answers), **base)


def _matching(question: Element, base: dict) -> qspec.QuestionSpec:
    pairs = tuple(
        qspec.MatchPair(
            key=f"p{i + 1}",
            prompt=_inline(sub),
            answer=_plain(sub.find("answer")),
        )
        for i, sub in enumerate(question.findall("subquestion"))
    )
    return qspec.QuestionSpec(qtype=qspec.MATCHING, pairs=pairs, **base)


def _ordering(question: Element, base: dict) -> qspec.QuestionSpec:
    items = tuple(
        qspec.OrderItem(key=f"i{i + 1}", text=_inline(answer))
        for i, answer in enumerate(question.findall("answer"))
    )
    return qspec.QuestionSpec(qtype=qspec.ORDERING, items=items, **base)


def _essay(question: Element, base: dict) -> qspec.QuestionSpec:
    return qspec.QuestionSpec(qtype=qspec.ESSAY, **base)


def _cloze_escape(text: str) -> str:
    return re.sub(r"([\\}~#])", r"\\\1", text)


def _cloze_end(text: str, start: int) -> int:
    """The index of the ``}`` closing the subquestion whose body starts at ``start``."""
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == "}":
            return i
        i += 1
    return -1


def _cloze_answers(body: str, gap: int) -> list[qspec.TextAnswer]:
    answers = []
    for part in split_unescaped(body, "~"):
        if not part.strip():
            continue
        fraction = Decimal(0)
        match = re.match(r"\s*(=|%(-?[0-9.]+)%)", part)
        if match:
            fraction = ONE if match.group(1) == "=" else _fraction(match.group(2))
            part = part[match.end() :]
        pieces = split_unescaped(part, "#")
        text = pieces[0]
        feedback = "#".join(pieces[1:])
        answers.append(
            qspec.TextAnswer(
                text=html.unescape(strip_tags(unescape(text))).strip(),
                fraction=fraction,
                feedback=inline_html(unescape(feedback)),
                gap=gap,
            )
        )
    return answers


def _multianswer(question: Element, base: dict) -> qspec.QuestionSpec:
    element = question.find("questiontext")
    raw = _text_of(element)
    out, answers, weights, cases, position, gap = [], [], set(), set(), 0, 0
    for match in _CLOZE_START.finditer(raw):
        if match.start() < position:
            continue
        end = _cloze_end(raw, match.end())
        if end < 0:
            raise _Bad(_("A Cloze gap is not closed with “}”."))
        gap += 1
        kind = match.group(2).upper()
        if kind not in _CLOZE_TYPES:
            raise _Bad(
                _(
                    "Cloze gap %(gap)d is of type %(type)s; only short-answer gaps "
                    "(SHORTANSWER, SA, MW) can be imported."
                )
                % {"gap": gap, "type": match.group(2)}
            )
        weights.add(int(match.group(1) or 1))
        cases.add(_CLOZE_TYPES[kind])
        out.append(raw[position : match.start()])
        out.append(f"[[{gap}]]")
        answers += _cloze_answers(raw[match.end() : end], gap)
        position = end + 1
    out.append(raw[position:])
    if not gap:
        raise _Bad(_("This Cloze question has no gaps."))
    if len(weights) > 1:
        raise _Bad(_("The Cloze gaps have different weights, which we cannot grade."))
    if len(cases) > 1:
        raise _Bad(_("The Cloze gaps mix case-sensitive and case-insensitive answers."))
    text = "".join(out).strip()
    fmt = ((element.get("format") if element is not None else None) or "html").lower()
    text = clean_html(_PLUGINFILE_IMG.sub("", text)) if fmt == "html" else from_plain_text(text)
    base = {**base, "text": text.strip()}
    return qspec.QuestionSpec(
        qtype=qspec.GAPFILL, text_answers=tuple(answers), case_sensitive=cases.pop(), **base
    )


_READERS = {
    "multichoice": _multichoice,
    "truefalse": _truefalse,
    "shortanswer": _shortanswer,
    "numerical": _numerical,
    "matching": _matching,
    "ordering": _ordering,
    "essay": _essay,
    "multianswer": _multianswer,
}


def _with_name_convention(spec: qspec.QuestionSpec) -> qspec.QuestionSpec:
    """A name equal to the one the bank would derive from the text is no name at all
    (the export writes the derived name, since Moodle requires one)."""
    if spec.name and spec.name == question_default_name(replace(spec, name="")):
        return replace(spec, name="")
    return spec


def parse(data: bytes) -> ParseResult:
    """The questions of a Moodle XML file; see the module's docstring."""
    root, lines = _read_tree(data)
    result = ParseResult()
    category: tuple[str, ...] = ()
    for question in root.iter("question"):
        line = lines.get(id(question))
        qtype = (question.get("type") or "").strip().lower()
        if qtype == "category":
            category = _category_path(_text_of(question.find("category")))
            continue
        if qtype not in SUPPORTED:
            name = qtype or "?"
            result.unsupported[name] = result.unsupported.get(name, 0) + 1
            result.problems.append(
                ParseProblem(
                    line,
                    _("Question type “%(type)s” is not supported; the question is skipped.")
                    % {"type": name},
                    qtype=name,
                )
            )
            continue
        try:
            spec = _READERS[qtype](question, _common(question))
        except _Bad as error:
            result.problems.append(ParseProblem(line, str(error)))
            continue
        errors = spec_errors(spec)
        if errors:
            result.problems.append(ParseProblem(line, " ".join(errors)))
            continue
        spec = _with_name_convention(spec)
        result.questions.append(ParsedQuestion(spec=spec, category=category, line=line))
    return result


# --- writing -----------------------------------------------------------------------


def _x(value: str) -> str:
    """Text content safe for XML 1.0."""
    return html.escape(_INVALID_XML_CHARS.sub("", value), quote=False)


def _number(value: Decimal) -> str:
    return format(tidy(value), "f")


def _percent(fraction: Decimal) -> str:
    return _number(fraction * HUNDRED)


def _textblock(tag: str, value: str, *, fmt: str = "html", indent: str = "    ") -> str:
    return f'{indent}<{tag} format="{fmt}">\n{indent}  <text>{_x(value)}</text>\n{indent}</{tag}>\n'


def _header(spec: qspec.QuestionSpec, qtype: str, text: str) -> str:
    name = spec.name or question_default_name(spec)
    out = f'  <question type="{qtype}">\n'
    out += f"    <name>\n      <text>{_x(name)}</text>\n    </name>\n"
    out += _textblock("questiontext", text)
    out += _textblock("generalfeedback", spec.general_feedback)
    out += f"    <defaultgrade>{_number(spec.default_mark)}</defaultgrade>\n"
    out += "    <penalty>0</penalty>\n    <hidden>0</hidden>\n"
    return out


def _combined_feedback(spec: qspec.QuestionSpec) -> str:
    return _textblock("correctfeedback", spec.correct_feedback) + _textblock(
        "incorrectfeedback", spec.incorrect_feedback
    )


def _answer(fraction: Decimal, text: str, feedback: str, *, fmt: str, extra: str = "") -> str:
    out = f'    <answer fraction="{_percent(fraction)}" format="{fmt}">\n'
    out += f"      <text>{_x(text)}</text>\n"
    out += _textblock("feedback", feedback, indent="      ")
    out += extra
    out += "    </answer>\n"
    return out


def _cloze(spec: qspec.QuestionSpec) -> str:
    kind = "SHORTANSWER_C" if spec.case_sensitive else "SHORTANSWER"

    def gap(match: re.Match) -> str:
        number = int(match.group(1))
        parts = []
        for answer in spec.text_answers:
            if answer.gap != number:
                continue
            prefix = "=" if answer.fraction == ONE else f"%{_percent(answer.fraction)}%"
            part = prefix + _cloze_escape(html.escape(answer.text, quote=False))
            if answer.feedback:
                part += "#" + _cloze_escape(answer.feedback)
            parts.append(part)
        return "{1:" + kind + ":" + "~".join(parts) + "}"

    return re.sub(qspec.GAP_MARKER, gap, spec.text)


def _question_xml(spec: qspec.QuestionSpec) -> str:
    qtype = spec.qtype
    if qtype in (qspec.SINGLE, qspec.MULTI):
        out = _header(spec, "multichoice", spec.text)
        out += f"    <single>{'true' if qtype == qspec.SINGLE else 'false'}</single>\n"
        out += "    <shuffleanswers>true</shuffleanswers>\n"
        out += "    <answernumbering>abc</answernumbering>\n"
        out += _combined_feedback(spec)
        for choice in spec.choices:
            out += _answer(choice.fraction, choice.text, choice.feedback, fmt="html")
    elif qtype == qspec.TRUEFALSE:
        out = _header(spec, "truefalse", spec.text) + _combined_feedback(spec)
        for choice in spec.choices:
            out += _answer(choice.fraction, choice.key, choice.feedback, fmt="moodle_auto_format")
    elif qtype == qspec.SHORTANSWER:
        out = _header(spec, "shortanswer", spec.text)
        out += f"    <usecase>{int(spec.case_sensitive)}</usecase>\n"
        out += _combined_feedback(spec)
        for answer in spec.text_answers:
            out += _answer(answer.fraction, answer.text, answer.feedback, fmt="moodle_auto_format")
    elif qtype == qspec.NUMERICAL:
        out = _header(spec, "numerical", spec.text) + _combined_feedback(spec)
        for answer in spec.numeric_answers:
            tolerance = f"      <tolerance>{_number(answer.tolerance)}</tolerance>\n"
            out += _answer(
                answer.fraction,
                _number(answer.value),
                answer.feedback,
                fmt="moodle_auto_format",
                extra=tolerance,
            )
    elif qtype == qspec.GAPFILL:
        out = _header(spec, "multianswer", _cloze(spec)) + _combined_feedback(spec)
    elif qtype == qspec.MATCHING:
        out = _header(spec, "matching", spec.text)
        out += "    <shuffleanswers>true</shuffleanswers>\n" + _combined_feedback(spec)
        for pair in spec.pairs:
            out += '    <subquestion format="html">\n'
            out += f"      <text>{_x(pair.prompt)}</text>\n"
            out += f"      <answer>\n        <text>{_x(pair.answer)}</text>\n      </answer>\n"
            out += "    </subquestion>\n"
    elif qtype == qspec.ORDERING:
        out = _header(spec, "ordering", spec.text)
        out += "    <layouttype>VERTICAL</layouttype>\n    <selecttype>ALL</selecttype>\n"
        out += "    <selectcount>0</selectcount>\n"
        out += "    <gradingtype>ABSOLUTE_POSITION</gradingtype>\n"
        out += "    <showgrading>SHOW</showgrading>\n" + _combined_feedback(spec)
        for position, item in enumerate(spec.items, start=1):
            out += f'    <answer fraction="{position}" format="html">\n'
            out += f"      <text>{_x(item.text)}</text>\n    </answer>\n"
    else:
        out = _header(spec, "essay", spec.text)
        out += "    <responseformat>editor</responseformat>\n"
        out += "    <responserequired>1</responserequired>\n"
        out += "    <responsefieldlines>10</responsefieldlines>\n"
        out += "    <attachments>0</attachments>\n" + _combined_feedback(spec)
    return out + "  </question>\n"


def _category_xml(path: tuple[str, ...]) -> str:
    text = "/".join(["$course$", "top", *(name.replace("/", "//") for name in path)])
    return (
        '  <question type="category">\n'
        f"    <category>\n      <text>{_x(text)}</text>\n    </category>\n"
        '    <info format="html">\n      <text></text>\n    </info>\n'
        "  </question>\n"
    )


def export(questions: Sequence[ParsedQuestion]) -> bytes:
    """A Moodle XML file of ``questions`` (UTF-8), with their categories."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n']
    category: tuple[str, ...] | None = None
    for question in questions:
        if question.category != category:
            category = question.category
            out.append(_category_xml(category))
        out.append(_question_xml(question.spec))
    out.append("</quiz>\n")
    return "".join(out).encode("utf-8")
