"""What a question is, as plain data: the one shape that the bank, the importers and
exporters, grading and attempts all speak.

A ``QuestionSpec`` is immutable and JSON-serialisable (``spec_to_dict`` /
``spec_from_dict``). A question version stores it; an attempt grades against the version
it was shown, never against the question as edited since.

Responses, as the browser sends them and grading reads them (anything else scores 0):

=============  ==================================================================
type           response
=============  ==================================================================
single         ``{"choice": key}``
multi          ``{"choices": [key, ...]}``
truefalse      ``{"choice": "true" | "false"}``
shortanswer    ``{"text": str}``
numerical      ``{"value": str}`` (a decimal number as typed; ``,`` accepted)
gapfill        ``{"gaps": [str, ...]}`` (one per gap, in order)
matching       ``{"matches": {prompt_key: answer_text}}``
ordering       ``{"order": [item_key, ...]}``
essay          ``{"text": str}``
=============  ==================================================================
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from decimal import Decimal
from typing import Any

SINGLE = "single"
MULTI = "multi"
TRUEFALSE = "truefalse"
SHORTANSWER = "shortanswer"
NUMERICAL = "numerical"
GAPFILL = "gapfill"
MATCHING = "matching"
ORDERING = "ordering"
ESSAY = "essay"

QUESTION_TYPES = (
    SINGLE,
    MULTI,
    TRUEFALSE,
    SHORTANSWER,
    NUMERICAL,
    GAPFILL,
    MATCHING,
    ORDERING,
    ESSAY,
)
#: Types whose score a trainer gives by hand.
MANUALLY_GRADED = frozenset({ESSAY})

#: A gap in a fill-in-the-blanks text: ``[[1]]``, ``[[2]]``… numbered from 1.
GAP_MARKER = r"\[\[(\d+)\]\]"


@dataclass(frozen=True)
class Choice:
    """An option of a single-choice, multiple-response or true/false question.

    ``fraction`` is the share of the mark it earns (-1 … 1; negative only in multiple
    response). ``key`` is stable within a version (true/false use "true" and "false").
    """

    key: str
    text: str
    fraction: Decimal
    feedback: str = ""


@dataclass(frozen=True)
class TextAnswer:
    """An accepted answer of a short-answer question or of one gap (``gap`` from 1)."""

    text: str  # may contain ``*`` as a wildcard for any run of characters
    fraction: Decimal
    feedback: str = ""
    gap: int = 0


@dataclass(frozen=True)
class NumericAnswer:
    value: Decimal
    tolerance: Decimal
    fraction: Decimal
    feedback: str = ""


@dataclass(frozen=True)
class MatchPair:
    """A prompt and its answer. A pair with an empty prompt is a distractor answer."""

    key: str
    prompt: str
    answer: str


@dataclass(frozen=True)
class OrderItem:
    key: str
    text: str


@dataclass(frozen=True)
class QuestionSpec:
    qtype: str
    text: str  # HTML, already through the rich-text whitelist
    name: str = ""  # a short title for lists; defaults to the start of the text
    general_feedback: str = ""
    default_mark: Decimal = Decimal("1")
    choices: tuple[Choice, ...] = ()  # single, multi, truefalse (in authored order)
    text_answers: tuple[TextAnswer, ...] = ()  # shortanswer, gapfill
    case_sensitive: bool = False  # shortanswer, gapfill
    numeric_answers: tuple[NumericAnswer, ...] = ()  # numerical
    pairs: tuple[MatchPair, ...] = ()  # matching
    items: tuple[OrderItem, ...] = ()  # ordering, in the correct order
    correct_feedback: str = ""
    incorrect_feedback: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


_DECIMAL_FIELDS = {"fraction", "value", "tolerance", "default_mark"}
_NESTED = {
    "choices": Choice,
    "text_answers": TextAnswer,
    "numeric_answers": NumericAnswer,
    "pairs": MatchPair,
    "items": OrderItem,
}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def spec_to_dict(spec: QuestionSpec) -> dict[str, Any]:
    """JSON-ready: decimals as strings, tuples as lists."""
    return _plain(asdict(spec))


def _build(cls, data: dict[str, Any]):
    known = {f.name for f in fields(cls)}
    kwargs = {}
    for key, value in data.items():
        if key not in known:
            continue
        if key in _DECIMAL_FIELDS:
            value = Decimal(str(value))
        elif key in _NESTED:
            value = tuple(_build(_NESTED[key], item) for item in value)
        kwargs[key] = value
    return cls(**kwargs)


def spec_from_dict(data: dict[str, Any]) -> QuestionSpec:
    """The inverse of ``spec_to_dict`` (unknown keys are ignored)."""
    return _build(QuestionSpec, data)


def correct_response(spec: QuestionSpec) -> dict[str, Any] | None:
    """A response that earns full marks, or None for a hand-graded type.

    Used by tests and by the review page ("the right answer").
    """
    if spec.qtype in (SINGLE, TRUEFALSE):
        best = max(spec.choices, key=lambda c: c.fraction)
        return {"choice": best.key}
    if spec.qtype == MULTI:
        return {"choices": [c.key for c in spec.choices if c.fraction > 0]}
    if spec.qtype == SHORTANSWER:
        best = max(spec.text_answers, key=lambda a: a.fraction)
        return {"text": best.text.replace("*", "")}
    if spec.qtype == NUMERICAL:
        best = max(spec.numeric_answers, key=lambda a: a.fraction)
        return {"value": str(best.value)}
    if spec.qtype == GAPFILL:
        gaps = sorted({a.gap for a in spec.text_answers})
        response = []
        for gap in gaps:
            best = max((a for a in spec.text_answers if a.gap == gap), key=lambda a: a.fraction)
            response.append(best.text.replace("*", ""))
        return {"gaps": response}
    if spec.qtype == MATCHING:
        return {"matches": {p.key: p.answer for p in spec.pairs if p.prompt}}
    if spec.qtype == ORDERING:
        return {"order": [item.key for item in spec.items]}
    return None
