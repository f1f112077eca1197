"""The Excel question template (``.xlsx``, or a CSV of the same columns), parsed and
written; ``template()`` is the empty workbook trainers download.

One row per question on the sheet "题目 questions", under a header row. The headers may be
bilingual (``题型 type``), Chinese only or English only, in any order; unknown columns are
ignored. The columns (``COLUMNS``):

============================  =========================================================
题型 type                     单选 single · 多选 multi · 判断 truefalse · 填空 (fill in:
                              short answer, or fill in the blanks when the text has
                              ``[[1]]`` gaps or several ``;``-separated answer groups) ·
                              gapfill · shortanswer · 数值 numerical · 匹配 matching ·
                              排序 ordering · 简答/问答 essay (in Chinese banks 简答 is a
                              written answer, graded by hand)
分类 category                 ``A/B/C`` (empty: the category chosen on import)
题目 question                 the text; HTML (``<p>``, ``<b>``…) is kept through the
                              whitelist, anything else is plain text
选项A option A … 选项H        choices (single, multi) or items (ordering, in the right
                              order); more option columns (I, J…) may be added
答案 answer                   see ``help`` sheet: letters ``B``, ``ACD``, ``A,C,D``
                              (``A:50%,C:-50%`` for explicit grades); 对/错/正确/错误/T/F;
                              ``a|b`` accepted answers (``%50%b`` for half marks);
                              ``30±0.5`` or ``30:0.5``; gaps ``a|b;c``; matching lines
                              ``prompt=answer`` (``=answer`` alone is a distractor);
                              ordering: the letters in the right order (empty: A, B, C…);
                              essay: a reference answer, shown as feedback
分值 score                    the mark (empty: 1)
解析 feedback                 general feedback
名称 name                     optional short title
区分大小写 case sensitive     是/否 yes/no for short answers and gaps
答对反馈 / 答错反馈           optional feedback for a right / wrong answer
============================  =========================================================

A multiple-response question's right options share 100% equally (3 right → 33.33333%,
33.33333%, 33.33334%). ``\\`` escapes a separator inside an answer (``\\|``, ``\\;``,
``\\=``). In a 填空 question without ``[[n]]`` markers, several answer groups fill the
blanks written as ``____`` or ``（ ）`` in order. Merged cells (a category or type merged
over several rows) count for every row they cover. A CSV export of the sheet (UTF-8 or
GB18030, as Chinese Excel saves it) is read the same way. Per-option feedback has no
column and is not exported.
"""

from __future__ import annotations

import csv
import html
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

from django.utils.html import escape
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from .. import spec as qspec
from ..richtext import clean_html, from_plain_text
from ..validation import spec_errors
from .base import (
    LARGEST,
    PLACES,
    FormatError,
    ParsedQuestion,
    ParseProblem,
    ParseResult,
    decode_text,
    snap_to_one,
    split_unescaped,
    tidy,
    unescape,
)

ONE = Decimal(1)
HUNDRED = Decimal(100)
SHEET_TITLE = "题目 questions"
HELP_TITLE = "说明 help"
#: Unpacked size above which a workbook is refused (a "zip bomb").
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
HEADER_SEARCH_ROWS = 5
DEFAULT_OPTION_COLUMNS = 8


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    width: int
    aliases: tuple[str, ...] = ()

    @property
    def header(self) -> str:
        return f"{self.zh} {self.en}"


COLUMNS = (
    Column("type", "题型", "type", 10, ("类型", "题目类型", "试题类型", "questiontype", "qtype")),
    Column("category", "分类", "category", 22, ("类别", "题库", "知识点", "cat")),
    Column("question", "题目", "question", 50, ("题干", "问题", "试题", "questiontext", "text")),
    Column("answer", "答案", "answer", 20, ("正确答案", "参考答案", "answers", "correctanswer")),
    Column("score", "分值", "score", 8, ("分数", "得分", "mark", "points", "defaultmark", "grade")),
    Column(
        "feedback", "解析", "feedback", 36, ("答案解析", "反馈", "generalfeedback", "explanation")
    ),
    Column("answer_feedback", "答案反馈", "answer feedback", 30, ("选项反馈", "optionfeedback")),
    Column("name", "名称", "name", 20, ("标题", "题目名称", "title")),
    Column("case", "区分大小写", "case sensitive", 10, ("大小写", "case", "casesensitive")),
    Column("correct_feedback", "答对反馈", "correct feedback", 20, ("正确反馈",)),
    Column("incorrect_feedback", "答错反馈", "incorrect feedback", 20, ("错误反馈",)),
)
_BY_KEY = {column.key: column for column in COLUMNS}
_LEAD_KEYS = ("type", "category", "question")  # then the options, then the rest


def _norm(text: str) -> str:
    return re.sub(r"[\s/|()（）\[\]【】:：_*\-]+", "", str(text)).lower()


def _header_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for column in COLUMNS:
        zhs = [column.zh] + [a for a in column.aliases if not a.isascii()]
        ens = [column.en] + [a for a in column.aliases if a.isascii()]
        for zh in zhs:
            names[_norm(zh)] = column.key
            for en in ens:
                names[_norm(zh + en)] = column.key
                names[_norm(en + zh)] = column.key
        for en in ens:
            names[_norm(en)] = column.key
    return names


_HEADER_NAMES = _header_names()
_OPTION_HEADER = re.compile(r"(?:选项([a-z]{1,2}))?(?:option([a-z]{1,2}))?")

SINGLE_NAMES = ("单选", "单选题", "单项选择", "单项选择题", "single", "singlechoice")
MULTI_NAMES = ("多选", "多选题", "多项选择", "多项选择题", "不定项", "不定项选择", "multi")
TYPE_NAMES: dict[str, str] = {}
for _names, _qtype in (
    (SINGLE_NAMES, qspec.SINGLE),
    (MULTI_NAMES + ("multiple", "multichoice", "multipleresponse", "multiresponse"), qspec.MULTI),
    (("判断", "判断题", "是非", "是非题", "对错", "truefalse", "tf", "boolean"), qspec.TRUEFALSE),
    (("shortanswer", "short", "简短回答"), qspec.SHORTANSWER),
    (("gapfill", "gaps", "cloze"), qspec.GAPFILL),
    (
        ("数值", "数值题", "数字", "计算", "计算题", "numerical", "numeric", "number"),
        qspec.NUMERICAL,
    ),
    (("匹配", "匹配题", "连线", "连线题", "配对", "matching", "match"), qspec.MATCHING),
    (("排序", "排序题", "ordering", "order", "sequence"), qspec.ORDERING),
    (("简答", "简答题", "问答", "问答题", "论述", "论述题", "主观题", "essay"), qspec.ESSAY),
):
    for _name in _names:
        TYPE_NAMES[_norm(_name)] = _qtype
#: "Fill in": a short answer, or fill in the blanks when there are several gaps.
FILL_NAMES = frozenset(_norm(n) for n in ("填空", "填空题", "fill", "fillin", "fillintheblanks"))

EXPORT_TYPE = {
    qspec.SINGLE: "单选",
    qspec.MULTI: "多选",
    qspec.TRUEFALSE: "判断",
    qspec.SHORTANSWER: "填空",
    qspec.GAPFILL: "填空",
    qspec.NUMERICAL: "数值",
    qspec.MATCHING: "匹配",
    qspec.ORDERING: "排序",
    qspec.ESSAY: "简答",
}

TRUE_WORDS = frozenset(
    _norm(w) for w in ("对", "正确", "是", "真", "√", "✓", "✔", "t", "true", "y", "yes", "1")
)
FALSE_WORDS = frozenset(
    _norm(w) for w in ("错", "错误", "否", "假", "×", "✗", "✕", "x", "f", "false", "n", "no", "0")
)
YES_WORDS = frozenset(_norm(w) for w in ("是", "区分", "y", "yes", "true", "1", "√"))
NO_WORDS = frozenset(_norm(w) for w in ("", "否", "不区分", "n", "no", "false", "0", "×"))

_HTML_TAG = re.compile(
    r"</?(p|br|b|strong|i|em|ul|ol|li|a|sub|sup|code|img|span|div|h[1-6]|table)\b[^>]*>",
    re.IGNORECASE,
)
_BLANK = re.compile(r"_{2,}|＿{2,}|（\s*）|\(\s*\)")
_CHOICE_TOKEN = re.compile(r"([A-Za-z]{1,2})\s*(?:[:=：]\s*(-?\d+(?:\.\d+)?)\s*%?)?")
_WEIGHT = re.compile(r"%(-?\d+(?:\.\d+)?)%")
_NUMERIC = re.compile(r"\s*(\S+?)\s*(?:(?:±|\+-|\+/-|:|：)\s*(\S+))?\s*")


class _Bad(Exception):
    """One row cannot be imported; the message is translated."""


# --- cells -------------------------------------------------------------------------


def _cell(value: object) -> str:
    """A cell as text: numbers as typed (``30``, not ``30.0``), booleans TRUE/FALSE."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).replace("\r\n", "\n").replace("\r", "\n").replace("_x000D_", "").strip()


def _rich(text: str) -> str:
    """A cell's text as rich text: HTML through the whitelist, else escaped paragraphs."""
    if not text.strip():
        return ""
    if _HTML_TAG.search(text):
        return clean_html(text).strip()
    return from_plain_text(text)


def _inline(text: str) -> str:
    """An option, prompt, item or per-answer feedback cell, as the admin forms keep it:
    HTML through the whitelist, plain text escaped."""
    text = text.strip()
    if not text:
        return ""
    if _HTML_TAG.search(text):
        return clean_html(text).strip()
    return escape(text)


def _inline_cell(value: str) -> str:
    if not value:
        return ""
    plain = html.unescape(value)
    return plain if _inline(plain) == value else value


def _cell_text(rich: str, *, one_line: bool = False) -> str:
    """Rich text as a cell: the plain text when it reads back as the same rich text (or,
    for text without tags, as the same words), else the HTML itself."""
    if not rich:
        return ""
    if not _HTML_TAG.search(rich):
        plain = html.unescape(rich)
    else:
        paragraphs = re.findall(r"<p>(.*?)</p>", rich, flags=re.DOTALL)
        plain = "\n".join(html.unescape(p) for p in paragraphs)
        if not paragraphs or from_plain_text(plain) != rich:
            return rich
    if _HTML_TAG.search(plain) or (one_line and "\n" in plain):
        return rich
    return plain


def _escape(text: str, specials: str = "\\|｜;；=＝%\n") -> str:
    return "".join("\\" + char if char in specials else char for char in text)


def _number(text: str, what: str) -> Decimal:
    message = _("%(what)s is not a number: %(value)s.") % {"what": what, "value": text[:40]}
    try:
        number = Decimal(text.strip().replace(",", "."))
        if not number.is_finite() or abs(number) > LARGEST:
            raise _Bad(message)
        return tidy(number)
    except InvalidOperation as error:
        raise _Bad(message) from error


def _percent(text: str) -> Decimal:
    try:
        return tidy((_number(text, _("A grade")) / HUNDRED).quantize(PLACES))
    except InvalidOperation as error:
        raise _Bad(_("A grade is out of range: %(value)s.") % {"value": text}) from error


def _weighted(part: str) -> tuple[Decimal, str]:
    """``%50%text`` → (0.5, "text"); ``text`` → (1, "text")."""
    match = _WEIGHT.match(part.strip())
    if match:
        return _percent(match.group(1)), part.strip()[match.end() :]
    return ONE, part


# --- reading rows ------------------------------------------------------------------


def _header_map(cells: Sequence[str]) -> dict[str, int] | None:
    """Column key (``type``, ``option:A``…) → index, or None if this is no header."""
    found: dict[str, int] = {}
    for index, value in enumerate(cells):
        name = _norm(value)
        if not name:
            continue
        key = _HEADER_NAMES.get(name)
        if key is None and re.fullmatch(r"[a-z]", name):
            key = "option:" + name.upper()
        if key is None:
            match = _OPTION_HEADER.fullmatch(name)
            if match and (match.group(1) or match.group(2)):
                letters = {g for g in match.groups() if g}
                if len(letters) == 1:
                    key = "option:" + letters.pop().upper()
        if key is not None and key not in found:
            found[key] = index
    if "type" in found and "question" in found:
        return found
    return None


def _find_header(rows: list[tuple[int, list[str]]]) -> tuple[int, dict[str, int]] | None:
    for position, (_row, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        header = _header_map(cells)
        if header is not None:
            return position, header
    return None


def looks_like_template_csv(text: str) -> bool:
    """Whether ``text`` is a CSV (or tab-separated) export of the template."""
    try:
        rows = _csv_rows(text[:20000])
    except csv.Error:
        return False
    return _find_header(rows) is not None


def _csv_rows(text: str) -> list[tuple[int, list[str]]]:
    first = next((line for line in text.split("\n") if line.strip()), "")
    delimiter = max(",\t;", key=first.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    return [(number, [_cell(v) for v in row]) for number, row in enumerate(reader, start=1)]


def _workbook_rows(data: bytes) -> list[tuple[int, list[str]]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = archive.namelist()
        unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise FormatError(
            _("The workbook is damaged or truncated; it cannot be opened.")
        ) from error
    if "xl/workbook.xml" not in names:
        raise FormatError(_("This is a ZIP file but not an Excel workbook (.xlsx)."))
    if unpacked > MAX_UNPACKED_BYTES:
        raise FormatError(_("The workbook is too large once unpacked."))
    try:
        book = load_workbook(io.BytesIO(data), data_only=True)
        sheets = list(book.worksheets)
        chosen = [s for s in sheets if _norm(s.title) in _QUESTION_SHEETS] + [
            s for s in sheets if _norm(s.title) not in _QUESTION_SHEETS | {_norm(HELP_TITLE)}
        ]
        for sheet in chosen:
            rows = _sheet_rows(sheet)
            if _find_header(rows) is not None:
                return rows
    except FormatError:
        raise
    except Exception as error:  # openpyxl raises many kinds of errors on broken files
        raise FormatError(_("The workbook is damaged; it cannot be read.")) from error
    raise FormatError(_header_missing())


_QUESTION_SHEETS = frozenset(_norm(n) for n in (SHEET_TITLE, "questions", "题目", "试题", "题库"))


def _sheet_rows(sheet) -> list[tuple[int, list[str]]]:
    values = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    for merged in sheet.merged_cells.ranges:
        top, left = merged.min_row - 1, merged.min_col - 1
        if top >= len(values) or left >= len(values[top]):
            continue
        value = values[top][left]
        for r in range(top, min(merged.max_row, len(values))):
            row = values[r]
            for c in range(left, merged.max_col):
                if c < len(row):
                    row[c] = value
    return list(enumerate(values, start=1))


def _header_missing() -> str:
    return _(
        "The header row of the question template is missing: the first row must name the "
        "columns, at least “题型 type” and “题目 question”. Download the template to see them."
    )


# --- one row -----------------------------------------------------------------------


def _type_of(name: str, text: str, answer: str) -> str:
    key = _norm(name)
    if key in TYPE_NAMES:
        return TYPE_NAMES[key]
    if key in FILL_NAMES:
        if re.search(qspec.GAP_MARKER, text) or len(split_unescaped(answer, ";；")) > 1:
            return qspec.GAPFILL
        return qspec.SHORTANSWER
    if not key:
        raise _Bad(_("The question type is empty."))
    raise _Bad(
        _(
            "Unknown question type “%(type)s”. Use one of: 单选 single, 多选 multi, 判断 "
            "truefalse, 填空 fill in, 数值 numerical, 匹配 matching, 排序 ordering, 简答 essay."
        )
        % {"type": name[:40]}
    )


def _option_cells(row: dict[str, str]) -> list[tuple[str, str]]:
    options = [(k.split(":", 1)[1], v) for k, v in row.items() if k.startswith("option:")]
    options.sort(key=lambda item: (len(item[0]), item[0]))
    return [(letter, text) for letter, text in options if text.strip()]


def _choice_key(index: int) -> str:
    return chr(ord("a") + index) if index < 26 else f"o{index + 1}"


def _answer_letters(answer: str) -> list[tuple[str, Decimal | None]]:
    answer = answer.strip()
    if not answer:
        raise _Bad(_("The answer is empty."))
    if re.fullmatch(r"[A-Za-z]+", answer):
        return [(letter.upper(), None) for letter in answer]
    tokens = [t for t in re.split(r"[,，、;；\s]+", answer) if t]
    out = []
    for token in tokens:
        match = _CHOICE_TOKEN.fullmatch(token)
        if not match:
            raise _Bad(
                _("The answer “%(answer)s” is not option letters like B, ACD or A,C,D.")
                % {"answer": answer[:40]}
            )
        grade = match.group(2)
        out.append((match.group(1).upper(), _percent(grade) if grade is not None else None))
    return out


def _choices(qtype: str, row: dict[str, str]) -> tuple[qspec.Choice, ...]:
    options = _option_cells(row)
    keys = {letter: _choice_key(i) for i, (letter, _text) in enumerate(options)}
    given = _answer_letters(row.get("answer", ""))
    for letter, _grade in given:
        if letter not in keys:
            raise _Bad(
                _("The answer names option %(letter)s, which is empty.") % {"letter": letter}
            )
    explicit = any(grade is not None for _letter, grade in given)
    right = [letter for letter in keys if letter in {letter for letter, _grade in given}]
    if explicit:
        grades = {letter: (ONE if grade is None else grade) for letter, grade in given}
        if qtype == qspec.MULTI:
            letters = list(grades)
            grades = dict(zip(letters, snap_to_one(list(grades.values())), strict=True))
    elif qtype == qspec.SINGLE:
        if len(right) != 1:
            raise _Bad(_("A single-choice question has one right answer; use 多选 multi for more."))
        grades = {right[0]: ONE}
    else:
        share = (ONE / len(right)).quantize(PLACES)
        grades = dict(zip(right, snap_to_one([share] * len(right)), strict=True))
    return tuple(
        qspec.Choice(key=keys[letter], text=_inline(text), fraction=grades.get(letter, Decimal(0)))
        for letter, text in options
    )


def _truefalse_word(text: str) -> str | None:
    word = _norm(html.unescape(re.sub(r"<[^>]+>", "", text)))
    if word in TRUE_WORDS:
        return "true"
    if word in FALSE_WORDS:
        return "false"
    return None


def _truefalse(row: dict[str, str]) -> tuple[qspec.Choice, ...]:
    """The answer says which is right; options A and B, when given, are the texts shown
    for true and false (in either order when they read 对/错, true/false…)."""
    options = _option_cells(row)[:2]
    meanings = [_truefalse_word(text) for _letter, text in options]
    if sorted(m or "" for m in meanings) != ["false", "true"]:
        meanings = ["true", "false"][: len(options)]
    texts = {meaning: _inline(text) for meaning, (_l, text) in zip(meanings, options, strict=True)}
    by_letter = {letter: meaning for meaning, (letter, _t) in zip(meanings, options, strict=True)}
    answer = row.get("answer", "").strip()
    right = by_letter.get(answer.upper()) if len(answer) == 1 else None
    right = right or _truefalse_word(answer)
    if right is None:
        raise _Bad(
            _("A true/false answer is 对/错, 正确/错误, T/F or true/false, not “%(answer)s”.")
            % {"answer": answer[:40]}
        )
    return tuple(
        qspec.Choice(key=key, text=texts.get(key, ""), fraction=ONE if key == right else Decimal(0))
        for key in ("true", "false")
    )


def _answer_feedback(value: str) -> dict[str, str]:
    """``key=feedback`` lines: an option letter, 正确/错误 (true/false) or the number of an
    accepted answer as listed in the answer column."""
    found = {}
    for line in split_unescaped(value, "\n"):
        if not line.strip():
            continue
        parts = split_unescaped(line, "=＝")
        if len(parts) < 2:
            raise _Bad(
                _("Write each answer feedback as “A=feedback” or “1=feedback”, not “%(line)s”.")
                % {"line": line[:40]}
            )
        found[unescape(parts[0]).strip()] = _inline(unescape("=".join(parts[1:])))
    return found


def _with_feedback(spec_fields: dict, row: dict[str, str]) -> dict:
    given = _answer_feedback(row.get("answer_feedback", ""))
    if not given:
        return spec_fields
    qtype = spec_fields["qtype"]
    if qtype in (qspec.SINGLE, qspec.MULTI, qspec.TRUEFALSE):
        if qtype == qspec.TRUEFALSE:
            names = {key: _truefalse_word(key) for key in given}
        else:
            letters = [letter for letter, _text in _option_cells(row)]
            names = {
                key: _choice_key(letters.index(key.upper()))
                for key in given
                if key.upper() in letters
            }
        field_name, keyed = "choices", True
    else:
        field_name = {
            qspec.SHORTANSWER: "text_answers",
            qspec.GAPFILL: "text_answers",
            qspec.NUMERICAL: "numeric_answers",
        }.get(qtype)
        names, keyed = {key: key for key in given if key.isdigit()}, False
    unknown = [key for key in given if not names.get(key)] if field_name else list(given)
    if unknown:
        raise _Bad(
            _("The answer feedback names “%(key)s”, which is no option or answer here.")
            % {"key": unknown[0][:20]}
        )
    values = list(spec_fields.get(field_name, ()))
    for key, feedback in given.items():
        if keyed:
            index = next((i for i, v in enumerate(values) if v.key == names[key]), None)
        else:
            index = int(key) - 1 if 0 < int(key) <= len(values) else None
        if index is None:
            raise _Bad(
                _("The answer feedback names “%(key)s”, which is no option or answer here.")
                % {"key": key[:20]}
            )
        values[index] = replace(values[index], feedback=feedback)
    return {**spec_fields, field_name: tuple(values)}


def _text_answers(group: str, gap: int = 0) -> list[qspec.TextAnswer]:
    answers = []
    for part in split_unescaped(group, "|｜\n"):
        if not part.strip():
            continue
        fraction, text = _weighted(part)
        answers.append(qspec.TextAnswer(text=unescape(text).strip(), fraction=fraction, gap=gap))
    return answers


def _numeric_answers(answer: str) -> tuple[qspec.NumericAnswer, ...]:
    answers = []
    for part in split_unescaped(answer, "|｜\n"):
        if not part.strip():
            continue
        fraction, text = _weighted(part)
        match = _NUMERIC.fullmatch(unescape(text))
        if not match:
            raise _Bad(_("A numerical answer is written 30, 30±0.5 or 30:0.5."))
        value = _number(match.group(1), _("A numerical answer"))
        tolerance = _number(match.group(2), _("A tolerance")) if match.group(2) else Decimal(0)
        answers.append(qspec.NumericAnswer(value=value, tolerance=tolerance, fraction=fraction))
    return tuple(answers)


def _gaps(text: str, answer: str) -> tuple[str, tuple[qspec.TextAnswer, ...]]:
    groups = [g for g in split_unescaped(answer, ";；") if g.strip()]
    if not re.search(qspec.GAP_MARKER, text):
        blanks = _BLANK.findall(text)
        if blanks and len(blanks) == len(groups):
            counter = iter(range(1, len(groups) + 1))
            text = _BLANK.sub(lambda _m: f"[[{next(counter)}]]", text)
    answers: list[qspec.TextAnswer] = []
    for gap, group in enumerate(groups, start=1):
        answers += _text_answers(group, gap)
    return text, tuple(answers)


def _pairs(row: dict[str, str]) -> tuple[qspec.MatchPair, ...]:
    answer = row.get("answer", "")
    lines = (
        split_unescaped(answer, "\n;；") if answer.strip() else [t for _l, t in _option_cells(row)]
    )
    pairs = []
    for line in lines:
        if not line.strip():
            continue
        parts = split_unescaped(line, "=＝")
        if len(parts) < 2:
            raise _Bad(
                _("Write each matching pair as “prompt=answer”, not “%(line)s”.")
                % {"line": line[:40]}
            )
        prompt, answer_text = parts[0], "=".join(parts[1:])
        pairs.append(
            qspec.MatchPair(
                key=f"p{len(pairs) + 1}",
                prompt=_inline(unescape(prompt)),
                answer=unescape(answer_text).strip(),
            )
        )
    return tuple(pairs)


def _items(row: dict[str, str]) -> tuple[qspec.OrderItem, ...]:
    options = _option_cells(row)
    by_letter = dict(options)
    answer = row.get("answer", "").strip()
    order = [letter for letter, _text in options]
    if answer:
        given = [letter for letter, _grade in _answer_letters(answer)]
        if sorted(given) != sorted(order):
            raise _Bad(_("The answer of an ordering question lists every option once, in order."))
        order = given
    return tuple(
        qspec.OrderItem(key=f"i{i + 1}", text=_inline(by_letter[letter]))
        for i, letter in enumerate(order)
    )


def _yes(value: str) -> bool:
    word = _norm(value)
    if word in YES_WORDS:
        return True
    if word in NO_WORDS:
        return False
    raise _Bad(_("Case sensitive is 是/否 or yes/no, not “%(value)s”.") % {"value": value[:20]})


def _category(value: str) -> tuple[str, ...]:
    names = [unescape(name).strip() for name in split_unescaped(value, "/／")]
    if names and names[0].startswith("$") and names[0].endswith("$"):
        names = names[1:]
        if names and names[0] == "top":
            names = names[1:]
    return tuple(name for name in names if name)


def _row_spec(row: dict[str, str]) -> qspec.QuestionSpec:
    raw_text = row.get("question", "")
    answer = row.get("answer", "")
    qtype = _type_of(row.get("type", ""), raw_text, answer)
    score = row.get("score", "").strip()
    fields = {
        "qtype": qtype,
        "name": row.get("name", "").strip()[:255],
        "general_feedback": _rich(row.get("feedback", "")),
        "default_mark": _number(score, _("The score")) if score else ONE,
        "correct_feedback": _rich(row.get("correct_feedback", "")),
        "incorrect_feedback": _rich(row.get("incorrect_feedback", "")),
    }
    if qtype in (qspec.SINGLE, qspec.MULTI):
        fields["choices"] = _choices(qtype, row)
    elif qtype == qspec.TRUEFALSE:
        fields["choices"] = _truefalse(row)
    elif qtype == qspec.SHORTANSWER:
        fields["text_answers"] = tuple(_text_answers(answer))
        fields["case_sensitive"] = _yes(row.get("case", ""))
    elif qtype == qspec.GAPFILL:
        raw_text, fields["text_answers"] = _gaps(raw_text, answer)
        fields["case_sensitive"] = _yes(row.get("case", ""))
    elif qtype == qspec.NUMERICAL:
        fields["numeric_answers"] = _numeric_answers(answer)
    elif qtype == qspec.MATCHING:
        fields["pairs"] = _pairs(row)
    elif qtype == qspec.ORDERING:
        fields["items"] = _items(row)
    elif qtype == qspec.ESSAY and answer.strip():
        fields["general_feedback"] = _rich(answer) + fields["general_feedback"]
    return qspec.QuestionSpec(text=_rich(raw_text), **_with_feedback(fields, row))


def _parse_rows(rows: list[tuple[int, list[str]]]) -> ParseResult:
    found = _find_header(rows)
    if found is None:
        raise FormatError(_header_missing())
    position, header = found
    result = ParseResult()
    for number, cells in rows[position + 1 :]:
        if not any(cell.strip() for cell in cells):
            continue
        row = {key: (cells[index] if index < len(cells) else "") for key, index in header.items()}
        try:
            spec = _row_spec(row)
        except _Bad as error:
            result.problems.append(ParseProblem(number, str(error)))
            continue
        errors = spec_errors(spec)
        if errors:
            result.problems.append(ParseProblem(number, " ".join(errors)))
            continue
        category = _category(row.get("category", ""))
        result.questions.append(ParsedQuestion(spec=spec, category=category, line=number))
    return result


def parse(data: bytes) -> ParseResult:
    """The questions of a workbook made from the template, or of its CSV export."""
    if not data.strip():
        raise FormatError(_("The file is empty."))
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FormatError(
            _("This is an old Excel 97–2003 (.xls) file; save it as .xlsx and upload again.")
        )
    if data.startswith(b"PK"):
        return _parse_rows(_workbook_rows(data))
    text = decode_text(data)
    try:
        rows = _csv_rows(text)
    except csv.Error as error:
        raise FormatError(
            _("This CSV file cannot be read: %(error)s") % {"error": error}
        ) from error
    return _parse_rows(rows)


# --- writing -----------------------------------------------------------------------


def _letters(count: int) -> list[str]:
    return [get_column_letter(i) for i in range(1, count + 1)]


def _header_row(option_count: int) -> list[str]:
    lead = [_BY_KEY[key].header for key in _LEAD_KEYS]
    options = [f"选项{letter} option {letter}" for letter in _letters(option_count)]
    rest = [column.header for column in COLUMNS if column.key not in _LEAD_KEYS]
    return lead + options + rest


def _percent_text(fraction: Decimal) -> str:
    return format(tidy(fraction * HUNDRED), "f")


def _weighted_text(fraction: Decimal, text: str) -> str:
    escaped = _escape(text)
    return escaped if fraction == ONE else f"%{_percent_text(fraction)}%{escaped}"


def _choice_answer(spec: qspec.QuestionSpec, letters: list[str]) -> str:
    fractions = [choice.fraction for choice in spec.choices]
    right = [letters[i] for i, f in enumerate(fractions) if f > 0]
    simple = all(f >= 0 for f in fractions) and right
    if simple and spec.qtype == qspec.SINGLE:
        simple = len(right) == 1 and max(fractions) == ONE
    if simple and spec.qtype == qspec.MULTI:
        share = (ONE / len(right)).quantize(PLACES)
        expected = snap_to_one([share] * len(right))
        simple = [f for f in fractions if f > 0] == expected
    if simple:
        separator = "" if all(len(letter) == 1 for letter in right) else ","
        return separator.join(right)
    return ",".join(f"{letters[i]}:{_percent_text(f)}%" for i, f in enumerate(fractions) if f != 0)


def _feedback_lines(spec: qspec.QuestionSpec, letters: list[str]) -> str:
    lines = []
    if spec.qtype == qspec.TRUEFALSE:
        for choice in spec.choices:
            name = "正确" if choice.key == "true" else "错误"
            lines.append((name, choice.feedback))
    elif spec.qtype in (qspec.SINGLE, qspec.MULTI):
        lines = [(letters[i], c.feedback) for i, c in enumerate(spec.choices)]
    else:
        answers = _ordered_text_answers(spec) if spec.text_answers else spec.numeric_answers
        lines = [(str(i), a.feedback) for i, a in enumerate(answers, start=1)]
    return "\n".join(f"{key}={_escape(_inline_cell(fb))}" for key, fb in lines if fb)


def _ordered_text_answers(spec: qspec.QuestionSpec) -> list[qspec.TextAnswer]:
    if spec.qtype != qspec.GAPFILL:
        return list(spec.text_answers)
    gaps = sorted({a.gap for a in spec.text_answers})
    return [a for g in gaps for a in spec.text_answers if a.gap == g]


def _row(question: ParsedQuestion, option_count: int) -> list[object]:
    spec = question.spec
    letters = _letters(max(option_count, len(spec.choices), len(spec.items)))
    options: list[str] = []
    answer = ""
    qtype_name = EXPORT_TYPE[spec.qtype]
    if spec.qtype in (qspec.SINGLE, qspec.MULTI):
        options = [_inline_cell(choice.text) for choice in spec.choices]
        answer = _choice_answer(spec, letters)
    elif spec.qtype == qspec.TRUEFALSE:
        by_key = {choice.key: choice for choice in spec.choices}
        if any(choice.text for choice in spec.choices):
            options = [_inline_cell(by_key[key].text) for key in ("true", "false")]
        right = max(spec.choices, key=lambda choice: choice.fraction).key
        answer = "正确" if right == "true" else "错误"
    elif spec.qtype == qspec.SHORTANSWER:
        if re.search(qspec.GAP_MARKER, spec.text):
            qtype_name = "shortanswer"
        answer = "|".join(_weighted_text(a.fraction, a.text) for a in spec.text_answers)
    elif spec.qtype == qspec.GAPFILL:
        ordered = _ordered_text_answers(spec)
        gaps = sorted({a.gap for a in ordered})
        answer = ";".join(
            "|".join(_weighted_text(a.fraction, a.text) for a in ordered if a.gap == g)
            for g in gaps
        )
    elif spec.qtype == qspec.NUMERICAL:
        parts = []
        for a in spec.numeric_answers:
            value = format(tidy(a.value), "f")
            if a.tolerance:
                value += "±" + format(tidy(a.tolerance), "f")
            parts.append(value if a.fraction == ONE else f"%{_percent_text(a.fraction)}%{value}")
        answer = "|".join(parts)
    elif spec.qtype == qspec.MATCHING:
        answer = "\n".join(
            _escape(_inline_cell(pair.prompt)) + "=" + _escape(pair.answer) for pair in spec.pairs
        )
    elif spec.qtype == qspec.ORDERING:
        options = [_inline_cell(item.text) for item in spec.items]
        answer = "".join(letters[: len(spec.items)])
    options += [""] * (len(letters) - len(options))
    category = "/".join(_escape(name, "\\/／") for name in question.category)
    mark = tidy(spec.default_mark)
    score: object = int(mark) if mark == mark.to_integral_value() else float(mark)
    values = {
        "type": qtype_name,
        "category": category,
        "question": _cell_text(spec.text),
        "answer": answer,
        "score": score,
        "feedback": _cell_text(spec.general_feedback),
        "answer_feedback": _feedback_lines(spec, letters),
        "name": spec.name,
        "case": "是" if spec.case_sensitive else "",
        "correct_feedback": _cell_text(spec.correct_feedback),
        "incorrect_feedback": _cell_text(spec.incorrect_feedback),
    }
    lead = [values[key] for key in _LEAD_KEYS]
    rest = [values[column.key] for column in COLUMNS if column.key not in _LEAD_KEYS]
    return lead + options + rest


def _style_sheet(sheet, option_count: int) -> None:
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in sheet[1]:
        cell.font = bold
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    sheet.freeze_panes = "A2"
    widths = [_BY_KEY[key].width for key in _LEAD_KEYS] + [18] * option_count
    widths += [column.width for column in COLUMNS if column.key not in _LEAD_KEYS]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def _questions_sheet(book: Workbook, option_count: int):
    sheet = book.active
    sheet.title = SHEET_TITLE
    sheet.append(_header_row(option_count))
    _style_sheet(sheet, option_count)
    types = DataValidation(
        type="list", formula1='"' + ",".join(dict.fromkeys(EXPORT_TYPE.values())) + '"'
    )
    types.showErrorMessage = False  # other spellings (English, 单选题…) are accepted too
    sheet.add_data_validation(types)
    types.add("A2:A10000")
    return sheet


#: One example row per type for the help sheet: type, category, text, options A-D, answer,
#: score, feedback.
EXAMPLES = (
    ("单选", "安全生产/消防安全", "电气设备起火应使用哪种灭火器？",
     ["二氧化碳灭火器", "清水灭火器", "泡沫灭火器", ""], "A", 2, "带电设备起火不能用水。"),
    ("多选", "安全生产/消防安全", "拨打 119 报警时应说清楚哪些内容？",
     ["起火地址", "燃烧物质", "报警人电话", "公司营业额"], "ABC", 3, ""),
    ("判断", "安全生产/消防安全", "发生火灾时可以乘坐电梯逃生。", [], "错", 1, "应走疏散楼梯。"),
    ("填空", "安全生产/个人防护", "我国安全帽国家标准的编号是 ____。", [],
     "GB 2811|GB2811", 1, ""),
    ("填空", "安全生产/个人防护", "粉尘作业应佩戴 ____ 级防尘口罩，每 ____ 小时更换。", [],
     "KN95|KN100;4", 2, ""),
    ("数值", "安全生产/个人防护", "塑料安全帽最长使用多少个月？", [], "30|%50%36±6", 1, ""),
    ("匹配", "安全生产/个人防护", "将危险源与防护用品对应。", [],
     "高处坠落=安全带\n噪声=耳塞\n=防静电服", 3, ""),
    ("排序", "安全生产/消防安全", "排列灭火器的使用步骤。",
     ["拔掉保险销", "对准火焰根部", "压下压把", "左右扫射"], "ABCD", 2, ""),
    ("简答", "安全生产/事故处理", "简述事故报告应包含的内容。", [],
     "时间、地点、人员、经过、原因、整改措施", 10, ""),
)  # fmt: skip

#: The help sheet: column, Chinese, English.
HELP_ROWS = (
    ("列 Column", "说明", "Description"),
    ("题型 type",
     "单选、多选、判断、填空、数值、匹配、排序、简答（也可写英文）。简答/问答为人工评分的"
     "问答题；填空：题目中有 [[1]] [[2]] 或答案有多组（用 ; 分隔）时为多空填空，否则为简短回答。",
     "single, multi, truefalse, fill (a short answer; fill in the blanks when the text has "
     "[[1]] gaps or the answer several ;-separated groups), gapfill, shortanswer, numerical, "
     "matching, ordering, essay (graded by hand; 简答/问答 in Chinese banks)."),
    ("分类 category",
     "用 / 分隔的分类路径，例如 安全生产/消防安全。留空则放入导入时选择的分类。",
     "Category path separated by /, e.g. Safety/Fire. Empty: the category chosen on import."),
    ("题目 question",
     "题目文字，可使用简单 HTML（<p> <b> <i>）。多空填空的空写作 [[1]]、[[2]]，"
     "或写作 ____ / （ ），按顺序对应答案中的各组。",
     "The question text; simple HTML is allowed. Gaps: [[1]], [[2]]…, or ____ / （ ） "
     "filled in order by the answer groups."),
    ("选项A … 选项H option A … H",
     "单选、多选的选项；排序题按正确顺序填写各项。需要更多选项可增加“选项I option I”等列。",
     "Choices of single/multi; the items of an ordering question in the right order. "
     "Add “选项I option I”… for more."),
    ("答案 answer",
     "单选：B；多选：ACD 或 A,C,D（正确选项平分分数；可写 A:50%,C:-50% 指定得分）；"
     "判断：对/错、正确/错误、T/F；填空：多个可接受答案用 | 分隔，%50% 前缀表示得一半分；"
     "多空：各空用 ; 分隔；数值：30±0.5 或 30:0.5；匹配：每行“题干=答案”，只有“=答案”"
     "为干扰项；排序：正确顺序的字母（留空即 A、B、C…）；简答：参考答案（作为解析显示）。"
     "答案中的 | ; = % 字符前加 \\。",
     "single: B; multi: ACD or A,C,D (the right options share 100%; A:50%,C:-50% for "
     "explicit grades); true/false: T/F, true/false, 对/错; short answer: accepted answers "
     "separated by |, a %50% prefix for half marks; gaps separated by ;; numerical: 30±0.5 "
     "or 30:0.5; matching: one “prompt=answer” per line, “=answer” alone is a distractor; "
     "ordering: the letters in the right order (empty: A, B, C…); essay: a reference "
     "answer, shown as feedback. Write \\ before a | ; = % inside an answer."),
    ("分值 score", "该题分值，留空为 1。", "The mark; empty means 1."),
    ("解析 feedback", "答题后显示的解析。", "General feedback shown after answering."),
    ("名称 name", "可选的简短标题。", "Optional short title."),
    ("区分大小写 case sensitive", "填空题是否区分大小写：是/否。",
     "Short answers and gaps: yes/no."),
    ("答对反馈 / 答错反馈 correct / incorrect feedback", "可选：答对、答错时显示的反馈。",
     "Optional feedback for a right / wrong answer."),
)  # fmt: skip


def _help_sheet(book: Workbook) -> None:
    sheet = book.create_sheet(HELP_TITLE)
    for row in HELP_ROWS:
        sheet.append(list(row))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.append([])
    sheet.append(["示例 Examples（复制到“题目 questions”工作表 / copy to the questions sheet）"])
    sheet.append(_header_row(4)[:10])
    for qtype, category, text, options, answer, score, feedback in EXAMPLES:
        sheet.append([qtype, category, text, *(options + [""] * 4)[:4], answer, score, feedback])
    for index, width in enumerate([24, 60, 60, 14, 14, 14, 14, 24, 8, 30], start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    for row in sheet.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def _save(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def template() -> bytes:
    """The empty question template (header row frozen, help sheet with examples)."""
    book = Workbook()
    _questions_sheet(book, DEFAULT_OPTION_COLUMNS)
    _help_sheet(book)
    return _save(book)


def export(questions: Sequence[ParsedQuestion]) -> bytes:
    """``questions`` as a filled-in template (re-imports to the same specs)."""
    option_count = max(
        [DEFAULT_OPTION_COLUMNS] + [max(len(q.spec.choices), len(q.spec.items)) for q in questions]
    )
    book = Workbook()
    sheet = _questions_sheet(book, option_count)
    for question in questions:
        sheet.append(_row(question, option_count))
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    _help_sheet(book)
    return _save(book)
