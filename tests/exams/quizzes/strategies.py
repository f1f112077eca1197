"""Hypothesis strategies for the quiz tests: valid ``QuestionSpec``s of every type,
responses to them, arbitrary JSON, and shuffled copies of a spec.

Every spec that ``specs()`` draws passes ``spec_errors`` (tested in
``test_grading_properties``), so other helpers' tests may use them as "any valid
question" (importers' round trips, presentation, attempts).
"""

from __future__ import annotations

import random
from dataclasses import replace
from decimal import Decimal

from django.utils.html import escape
from hypothesis import strategies as st

from exams.quizzes import spec as qspec

# Letters a trainer or a member types: ASCII, CJK, full-width forms, the ideographic
# space, and regular-expression characters that must stay literal.
_ALPHABET = st.sampled_from(
    list("abcxyzABCXYZ0189 .+?()[]{}^$|\\-_,;:'\"")
    + list("学习安全考试消防中国")
    + list("ＡＢｃ１２（）\u3000")
)
_WORD = st.text(_ALPHABET, min_size=1, max_size=12).filter(lambda s: s.strip())

keys = st.text("abcdefghjkmnpqrstuvwxyz0123456789", min_size=1, max_size=6)


def _unique_keys(count: int):
    return st.lists(keys, min_size=count, max_size=count, unique=True)


def _html(text: str) -> str:
    return f"<p>{escape(text)}</p>"


question_texts = _WORD.map(_html)
feedbacks = st.one_of(st.just(""), _WORD.map(_html))
marks = st.sampled_from([Decimal("1"), Decimal("2"), Decimal("0.5"), Decimal("10")])
#: Fractions that Moodle files carry, including the seven-place thirds.
partial_fractions = st.sampled_from(
    [
        Decimal(0),
        Decimal("0.1"),
        Decimal("0.25"),
        Decimal("0.3333333"),
        Decimal("0.5"),
        Decimal("0.9"),
    ]
)


@st.composite
def single_specs(draw) -> qspec.QuestionSpec:
    count = draw(st.integers(2, 6))
    names = draw(_unique_keys(count))
    right = draw(st.integers(0, count - 1))
    choices = tuple(
        qspec.Choice(
            key=key,
            text=_html(draw(_WORD)),
            fraction=Decimal(1) if i == right else draw(partial_fractions),
            feedback=draw(feedbacks),
        )
        for i, key in enumerate(names)
    )
    return qspec.QuestionSpec(
        qtype=qspec.SINGLE, text=draw(question_texts), default_mark=draw(marks), choices=choices
    )


@st.composite
def _positive_shares(draw) -> list[Decimal]:
    """Positive fractions adding up to 1 (or to 0.9999999, as three Moodle thirds do)."""
    if draw(st.booleans()):
        count = draw(st.integers(1, 4))
        cuts = sorted(
            draw(st.lists(st.integers(1, 99), min_size=count - 1, max_size=count - 1, unique=True))
        )
        bounds = [0, *cuts, 100]
        return [Decimal(b - a) / 100 for a, b in zip(bounds, bounds[1:], strict=False)]
    return [Decimal("0.3333333")] * 3


@st.composite
def multi_specs(draw) -> qspec.QuestionSpec:
    positive = draw(_positive_shares())
    others = draw(
        st.lists(
            st.sampled_from([Decimal(0), Decimal("-0.5"), Decimal("-1"), Decimal("-0.3333333")]),
            min_size=max(0, 2 - len(positive)),
            max_size=3,
        )
    )
    fractions = draw(st.permutations(positive + others))
    names = draw(_unique_keys(len(fractions)))
    choices = tuple(
        qspec.Choice(key=key, text=_html(draw(_WORD)), fraction=fraction, feedback=draw(feedbacks))
        for key, fraction in zip(names, fractions, strict=True)
    )
    return qspec.QuestionSpec(
        qtype=qspec.MULTI, text=draw(question_texts), default_mark=draw(marks), choices=choices
    )


@st.composite
def truefalse_specs(draw) -> qspec.QuestionSpec:
    right = draw(st.sampled_from(["true", "false"]))
    choices = [
        qspec.Choice(
            key=key, text=key.title(), fraction=Decimal(key == right), feedback=draw(feedbacks)
        )
        for key in ("true", "false")
    ]
    return qspec.QuestionSpec(
        qtype=qspec.TRUEFALSE,
        text=draw(question_texts),
        default_mark=draw(marks),
        choices=tuple(draw(st.permutations(choices))),
    )


@st.composite
def accepted_texts(draw) -> str:
    """An accepted answer: words, perhaps with ``*`` wildcards among them."""
    words = draw(st.lists(_WORD, min_size=1, max_size=3))
    text = ""
    for word in words:
        text += draw(st.sampled_from(["", "*", " * ", " ", "*"])) if text else ""
        text += word
    if draw(st.booleans()):
        text = draw(st.sampled_from(["*", ""])) + text + draw(st.sampled_from(["*", ""]))
    return text


def _text_answers(draw, *, gap: int = 0, max_size: int = 4) -> list[qspec.TextAnswer]:
    answers = [
        qspec.TextAnswer(
            text=draw(accepted_texts()), fraction=Decimal(1), feedback=draw(feedbacks), gap=gap
        )
    ]
    for _ in range(draw(st.integers(0, max_size - 1))):
        answers.append(
            qspec.TextAnswer(
                text=draw(accepted_texts()),
                fraction=draw(partial_fractions),
                feedback=draw(feedbacks),
                gap=gap,
            )
        )
    return draw(st.permutations(answers))


@st.composite
def shortanswer_specs(draw) -> qspec.QuestionSpec:
    return qspec.QuestionSpec(
        qtype=qspec.SHORTANSWER,
        text=draw(question_texts),
        default_mark=draw(marks),
        text_answers=tuple(_text_answers(draw)),
        case_sensitive=draw(st.booleans()),
    )


numbers = st.decimals(
    min_value=Decimal("-1000000"),
    max_value=Decimal("1000000"),
    places=3,
    allow_nan=False,
    allow_infinity=False,
)
tolerances = st.sampled_from([Decimal(0), Decimal("0.001"), Decimal("0.5"), Decimal(2)])


@st.composite
def numerical_specs(draw) -> qspec.QuestionSpec:
    answers = [
        qspec.NumericAnswer(
            value=draw(numbers),
            tolerance=draw(tolerances),
            fraction=Decimal(1),
            feedback=draw(feedbacks),
        )
    ]
    for _ in range(draw(st.integers(0, 2))):
        answers.append(
            qspec.NumericAnswer(
                value=draw(numbers),
                tolerance=draw(tolerances),
                fraction=draw(partial_fractions),
                feedback=draw(feedbacks),
            )
        )
    return qspec.QuestionSpec(
        qtype=qspec.NUMERICAL,
        text=draw(question_texts),
        default_mark=draw(marks),
        numeric_answers=tuple(draw(st.permutations(answers))),
    )


@st.composite
def gapfill_specs(draw) -> qspec.QuestionSpec:
    count = draw(st.integers(1, 4))
    words = draw(st.lists(_WORD, min_size=count + 1, max_size=count + 1))
    text = escape(words[0]) + "".join(
        f" [[{n}]] {escape(word)}" for n, word in enumerate(words[1:], start=1)
    )
    answers = [a for gap in range(1, count + 1) for a in _text_answers(draw, gap=gap, max_size=3)]
    return qspec.QuestionSpec(
        qtype=qspec.GAPFILL,
        text=f"<p>{text}</p>",
        default_mark=draw(marks),
        text_answers=tuple(draw(st.permutations(answers))),
        case_sensitive=draw(st.booleans()),
    )


@st.composite
def matching_specs(draw) -> qspec.QuestionSpec:
    count = draw(st.integers(2, 5))
    distractors = draw(st.integers(0, 2))
    names = draw(_unique_keys(count + distractors))
    answers = draw(st.lists(_WORD, min_size=1, max_size=count))
    pairs = [
        qspec.MatchPair(key=key, prompt=draw(_WORD), answer=draw(st.sampled_from(answers)))
        for key in names[:count]
    ]
    pairs += [qspec.MatchPair(key=key, prompt="", answer=draw(_WORD)) for key in names[count:]]
    return qspec.QuestionSpec(
        qtype=qspec.MATCHING,
        text=draw(question_texts),
        default_mark=draw(marks),
        pairs=tuple(draw(st.permutations(pairs))),
    )


@st.composite
def ordering_specs(draw) -> qspec.QuestionSpec:
    count = draw(st.integers(2, 6))
    items = tuple(qspec.OrderItem(key=key, text=draw(_WORD)) for key in draw(_unique_keys(count)))
    return qspec.QuestionSpec(
        qtype=qspec.ORDERING, text=draw(question_texts), default_mark=draw(marks), items=items
    )


@st.composite
def essay_specs(draw) -> qspec.QuestionSpec:
    return qspec.QuestionSpec(
        qtype=qspec.ESSAY,
        text=draw(question_texts),
        default_mark=draw(marks),
        general_feedback=draw(feedbacks),
    )


SPEC_STRATEGIES = {
    qspec.SINGLE: single_specs(),
    qspec.MULTI: multi_specs(),
    qspec.TRUEFALSE: truefalse_specs(),
    qspec.SHORTANSWER: shortanswer_specs(),
    qspec.NUMERICAL: numerical_specs(),
    qspec.GAPFILL: gapfill_specs(),
    qspec.MATCHING: matching_specs(),
    qspec.ORDERING: ordering_specs(),
    qspec.ESSAY: essay_specs(),
}


def specs(*qtypes: str):
    """A valid spec of one of ``qtypes`` (default: any type)."""
    return st.one_of(*(SPEC_STRATEGIES[qtype] for qtype in (qtypes or qspec.QUESTION_TYPES)))


def auto_graded_specs():
    return specs(*(t for t in qspec.QUESTION_TYPES if t not in qspec.MANUALLY_GRADED))


# --- responses ---------------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
)
#: Any JSON value (as ``json.loads`` could return it, plus NaN and infinities).
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
RESPONSE_KEYS = ["choice", "choices", "text", "value", "gaps", "matches", "order"]
#: Response-shaped garbage: the right keys with any JSON value, and any JSON at all.
garbage_responses = st.one_of(
    json_values,
    st.dictionaries(st.sampled_from(RESPONSE_KEYS), json_values, max_size=3),
)


def _option_keys(spec: qspec.QuestionSpec) -> list[str]:
    return [c.key for c in spec.choices] + [p.key for p in spec.pairs] + [i.key for i in spec.items]


@st.composite
def responses(draw, spec: qspec.QuestionSpec):
    """A well-formed response to ``spec`` (right, partly right or wrong), sometimes
    naming options the question does not have."""
    own = _option_keys(spec)
    some_key = st.sampled_from(own) | keys if own else keys
    text = _WORD | st.sampled_from([a.text.replace("*", "") for a in spec.text_answers] or ["x"])
    qtype = spec.qtype
    if qtype in (qspec.SINGLE, qspec.TRUEFALSE):
        return {"choice": draw(some_key)}
    if qtype == qspec.MULTI:
        return {"choices": draw(st.lists(some_key, max_size=8))}
    if qtype in (qspec.SHORTANSWER, qspec.ESSAY):
        return {"text": draw(text)}
    if qtype == qspec.NUMERICAL:
        value = draw(numbers | st.sampled_from([a.value for a in spec.numeric_answers]))
        offset = draw(st.sampled_from([Decimal(0), Decimal("0.001"), Decimal("-0.5"), Decimal(2)]))
        typed = str(value + offset)
        return {"value": typed.replace(".", ",") if draw(st.booleans()) else typed}
    if qtype == qspec.GAPFILL:
        return {"gaps": draw(st.lists(text, max_size=5))}
    if qtype == qspec.MATCHING:
        answers = [p.answer for p in spec.pairs] or ["x"]
        return {"matches": draw(st.dictionaries(some_key, st.sampled_from(answers) | _WORD))}
    if qtype == qspec.ORDERING:
        return {"order": draw(st.lists(some_key, max_size=8))}
    return None


@st.composite
def spec_and_response(draw, spec_strategy=None):
    spec = draw(spec_strategy if spec_strategy is not None else specs())
    response = draw(st.one_of(responses(spec), garbage_responses))
    return spec, response


# --- shuffling ---------------------------------------------------------------------------


def shuffle_spec(spec: qspec.QuestionSpec, rng: random.Random) -> qspec.QuestionSpec:
    """``spec`` with its options in another order where the order means nothing: choices,
    accepted answers and matching pairs (an ordering question's items are its answer)."""

    def mixed(values):
        values = list(values)
        rng.shuffle(values)
        return tuple(values)

    return replace(
        spec,
        choices=mixed(spec.choices),
        text_answers=mixed(spec.text_answers),
        numeric_answers=mixed(spec.numeric_answers),
        pairs=mixed(spec.pairs),
    )


def shuffle_response(response, rng: random.Random):
    """``response`` with its lists in another order where the order means nothing
    (a multiple response's chosen keys, a matching's prompts)."""
    if not isinstance(response, dict):
        return response
    response = dict(response)
    if isinstance(response.get("choices"), list):
        choices = list(response["choices"])
        rng.shuffle(choices)
        response["choices"] = choices
    if isinstance(response.get("matches"), dict):
        items = list(response["matches"].items())
        rng.shuffle(items)
        response["matches"] = dict(items)
    return response
