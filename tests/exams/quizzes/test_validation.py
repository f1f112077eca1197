"""``spec_errors``: every message is hit by a case, and valid questions of every type
pass (no database)."""

import re
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation

from exams.quizzes import spec as q
from exams.quizzes import validation
from exams.quizzes.validation import spec_errors

D = Decimal


def choice(key, fraction, text=None):
    return q.Choice(
        key=key, text=text if text is not None else f"<p>{key}</p>", fraction=D(fraction)
    )


def answer(text, fraction="1", gap=0):
    return q.TextAnswer(text=text, fraction=D(fraction), gap=gap)


def number(value, fraction="1", tolerance="0"):
    return q.NumericAnswer(value=D(value), tolerance=D(tolerance), fraction=D(fraction))


TEXT = "<p>Question?</p>"
VALID = {
    q.SINGLE: q.QuestionSpec(
        qtype=q.SINGLE, text=TEXT, choices=(choice("a", "1"), choice("b", "0"))
    ),
    q.MULTI: q.QuestionSpec(
        qtype=q.MULTI,
        text=TEXT,
        choices=(choice("a", "0.5"), choice("b", "0.5"), choice("c", "-1")),
    ),
    q.TRUEFALSE: q.QuestionSpec(
        qtype=q.TRUEFALSE, text=TEXT, choices=(choice("true", "0"), choice("false", "1"))
    ),
    q.SHORTANSWER: q.QuestionSpec(
        qtype=q.SHORTANSWER, text=TEXT, text_answers=(answer("Lu *"), answer("*", "0"))
    ),
    q.NUMERICAL: q.QuestionSpec(
        qtype=q.NUMERICAL, text=TEXT, numeric_answers=(number("6.022E+23", tolerance="1E+20"),)
    ),
    q.GAPFILL: q.QuestionSpec(
        qtype=q.GAPFILL,
        text="<p>[[1]] and [[2]]</p>",
        text_answers=(answer("salt", gap=1), answer("pepper", gap=2), answer("*", "0", gap=2)),
    ),
    q.MATCHING: q.QuestionSpec(
        qtype=q.MATCHING,
        text=TEXT,
        pairs=(
            q.MatchPair(key="a", prompt="A", answer="solids"),
            q.MatchPair(key="b", prompt="B", answer="solids"),
            q.MatchPair(key="c", prompt="", answer="gases"),
        ),
    ),
    q.ORDERING: q.QuestionSpec(
        qtype=q.ORDERING,
        text=TEXT,
        items=(q.OrderItem(key="a", text="First"), q.OrderItem(key="b", text="Second")),
    ),
    q.ESSAY: q.QuestionSpec(qtype=q.ESSAY, text=TEXT, default_mark=D("1000")),
}


@pytest.mark.parametrize("qtype", q.QUESTION_TYPES)
def test_a_valid_question_of_every_type_has_no_errors(qtype):
    assert spec_errors(VALID[qtype]) == []


@pytest.mark.parametrize(
    "spec",
    [
        replace(VALID[q.ESSAY], text='<p><embed embedtype="image" id="3" format="left"/></p>'),
        replace(VALID[q.ESSAY], text='<p><img src="/x.png" alt=""></p>'),
        replace(
            VALID[q.MULTI],
            choices=(choice("a", "0.3333333"), choice("b", "0.3333333"), choice("c", "0.3333333")),
        ),
        replace(VALID[q.MULTI], choices=(choice("a", "1"), choice("b", "-1"))),
        replace(VALID[q.NUMERICAL], numeric_answers=(number("-1.5E-30"),)),
        replace(VALID[q.SHORTANSWER], text_answers=(answer("  *Lu* "),)),
    ],
    ids=["image-embed", "image-img", "moodle-thirds", "one-right-one-penalty", "tiny", "stars"],
)
def test_edge_cases_that_are_valid(spec):
    assert spec_errors(spec) == []


def base(qtype, **changes):
    return replace(VALID[qtype], **changes)


CASES = [
    # every type
    (replace(VALID[q.SINGLE], qtype="calculated"), "Unknown question type: calculated."),
    (
        base(q.SINGLE, choices=(choice("a", "NaN"), choice("b", "0"))),
        "Marks, grades, values and tolerances must be finite numbers.",
    ),
    (
        base(q.ESSAY, default_mark=D("Infinity")),
        "Marks, grades, values and tolerances must be finite numbers.",
    ),
    (
        base(q.NUMERICAL, numeric_answers=(number("1", tolerance="sNaN"),)),
        "Marks, grades, values and tolerances must be finite numbers.",
    ),
    (base(q.ESSAY, text="<p> </p><p><br/></p>"), "The question has no text."),
    (base(q.ESSAY, text=""), "The question has no text."),
    (base(q.ESSAY, default_mark=D(0)), "The mark must be more than 0 and at most 1000."),
    (base(q.ESSAY, default_mark=D("-1")), "The mark must be more than 0 and at most 1000."),
    (base(q.ESSAY, default_mark=D("1000.01")), "The mark must be more than 0 and at most 1000."),
    # choices
    (
        base(q.SINGLE, choices=(choice("a", "1"), choice("a", "0"))),
        "Options need distinct keys.",
    ),
    (base(q.SINGLE, choices=(choice("a", "1"), choice("", "0"))), "Options need distinct keys."),
    (
        base(q.SINGLE, choices=(choice("a", "1"), choice("b", "-0.5"))),
        "Every answer's grade must be between 0% and 100%.",
    ),
    (
        base(q.SINGLE, choices=(choice("a", "1.5"), choice("b", "0"))),
        "Every answer's grade must be between 0% and 100%.",
    ),
    (
        base(q.MULTI, choices=(choice("a", "1"), choice("b", "-1.5"))),
        "Every answer's grade must be between -100% and 100%.",
    ),
    (
        base(q.TRUEFALSE, choices=(choice("yes", "1"), choice("no", "0"))),
        "A true/false question has exactly the options true and false.",
    ),
    (
        base(q.TRUEFALSE, choices=(choice("true", "1"),)),
        "A true/false question has exactly the options true and false.",
    ),
    (
        base(q.TRUEFALSE, choices=(choice("true", "1"), choice("false", "1"))),
        "One of true and false must be right (100%), the other 0%.",
    ),
    (
        base(q.TRUEFALSE, choices=(choice("true", "0.5"), choice("false", "0.5"))),
        "One of true and false must be right (100%), the other 0%.",
    ),
    (base(q.SINGLE, choices=(choice("a", "1"),)), "A choice question needs at least two options."),
    (base(q.MULTI, choices=()), "A choice question needs at least two options."),
    (
        base(q.SINGLE, choices=(choice("a", "1"), choice("b", "0", text="<p> </p>"))),
        "Every option needs a text.",
    ),
    (
        base(q.SINGLE, choices=(choice("a", "0.9"), choice("b", "0"))),
        "One option must be fully right (100%).",
    ),
    (
        base(q.MULTI, choices=(choice("a", "0.5"), choice("b", "0.4"))),
        "The right options' grades must add up to 100%.",
    ),
    (
        base(q.MULTI, choices=(choice("a", "0.333"), choice("b", "0.333"), choice("c", "0.333"))),
        "The right options' grades must add up to 100%.",
    ),
    (
        base(q.MULTI, choices=(choice("a", "1"), choice("b", "0.5"))),
        "The right options' grades must add up to 100%.",
    ),
    # short answer
    (
        base(q.SHORTANSWER, text_answers=()),
        "A short-answer question needs at least one accepted answer.",
    ),
    (
        base(q.SHORTANSWER, text_answers=(answer("x", "1.1"),)),
        "Every answer's grade must be between 0% and 100%.",
    ),
    (
        base(q.SHORTANSWER, text_answers=(answer("x", "0.9"),)),
        "One accepted answer must be fully right (100%).",
    ),
    (
        base(q.SHORTANSWER, text_answers=(answer("x"), answer("  ", "0"))),
        "An accepted answer cannot be empty.",
    ),
    (
        base(q.SHORTANSWER, text_answers=(answer(" * * "),)),
        "A fully right answer must be more than wildcards (*).",
    ),
    # numerical
    (
        base(q.NUMERICAL, numeric_answers=()),
        "A numerical question needs at least one answer.",
    ),
    (
        base(q.NUMERICAL, numeric_answers=(number("1", "0.5"),)),
        "One answer must be fully right (100%).",
    ),
    (
        base(q.NUMERICAL, numeric_answers=(number("1", tolerance="-0.1"),)),
        "A tolerance cannot be negative.",
    ),
    (
        base(q.NUMERICAL, numeric_answers=(number("1E+1000"),)),
        "An answer is too long or too large a number to type.",
    ),
    (
        base(q.NUMERICAL, numeric_answers=(number("1." + "1" * 120),)),
        "An answer is too long or too large a number to type.",
    ),
    # fill in the blanks
    (
        base(q.GAPFILL, text="<p>No gaps</p>"),
        "Mark the gaps in the text as [[1]], [[2]] and so on.",
    ),
    (base(q.GAPFILL, text="<p>[[1]] and [[3]]</p>"), "Number the gaps 1, 2, 3… without skipping."),
    (base(q.GAPFILL, text="<p>[[0]] and [[1]]</p>"), "Number the gaps 1, 2, 3… without skipping."),
    (
        base(q.GAPFILL, text="<p>[[1]] and [[2]] and [[1]]</p>"),
        "Each gap may appear only once in the text.",
    ),
    (
        base(q.GAPFILL, text="<p>[[1]] and [[2]] and [[3]]</p>"),
        "Gap 3 needs an accepted answer that is fully right.",
    ),
    (
        base(q.GAPFILL, text_answers=(answer("salt", gap=1), answer("pepper", "0.5", gap=2))),
        "Gap 2 needs an accepted answer that is fully right.",
    ),
    (
        base(q.GAPFILL, text_answers=(*VALID[q.GAPFILL].text_answers, answer("x", gap=4))),
        "An accepted answer belongs to a gap that is not in the text.",
    ),
    (
        base(q.GAPFILL, text_answers=(answer("salt", gap=1), answer("pepper", "-1", gap=2))),
        "Every answer's grade must be between 0% and 100%.",
    ),
    (
        base(q.GAPFILL, text_answers=(answer("salt", gap=1), answer("", gap=2))),
        "An accepted answer cannot be empty.",
    ),
    (
        base(q.GAPFILL, text_answers=(answer("salt", gap=1), answer("*", gap=2))),
        "A fully right answer must be more than wildcards (*).",
    ),
    # matching
    (
        base(
            q.MATCHING,
            pairs=(
                q.MatchPair(key="a", prompt="A", answer="x"),
                q.MatchPair(key="b", prompt=" ", answer="y"),
            ),
        ),
        "A matching question needs at least two pairs.",
    ),
    (
        base(
            q.MATCHING,
            pairs=(
                q.MatchPair(key="a", prompt="A", answer="x"),
                q.MatchPair(key="b", prompt="B", answer=" "),
            ),
        ),
        "Every pair needs an answer.",
    ),
    (
        base(
            q.MATCHING,
            pairs=(
                q.MatchPair(key="a", prompt="A", answer="x"),
                q.MatchPair(key="a", prompt="B", answer="y"),
            ),
        ),
        "Options need distinct keys.",
    ),
    # ordering
    (
        base(q.ORDERING, items=(q.OrderItem(key="a", text="x"),)),
        "An ordering question needs at least two items.",
    ),
    (
        base(
            q.ORDERING, items=(q.OrderItem(key="a", text="x"), q.OrderItem(key="b", text="<p></p>"))
        ),
        "Every item needs a text.",
    ),
    (
        base(q.ORDERING, items=(q.OrderItem(key="a", text="x"), q.OrderItem(key="a", text="y"))),
        "Options need distinct keys.",
    ),
]


@pytest.mark.parametrize(("spec", "message"), CASES)
def test_each_error(spec, message):
    # when
    with translation.override("en"):
        errors = spec_errors(spec)
    # then
    assert message in errors


def _template_pattern(msgid: str) -> re.Pattern:
    parts = re.split(r"%\(\w+\)[sd]", msgid)
    return re.compile(".+".join(re.escape(part) for part in parts))


def test_every_message_of_spec_errors_is_hit_by_a_case():
    # given every message the module can say
    source = Path(validation.__file__).read_text()
    msgids = re.findall(r'_\(\s*"((?:[^"\\]|\\.)*)"', source)
    assert len(msgids) >= 25
    # when every case is checked
    with translation.override("en"):
        said = {message for spec, _message in CASES for message in spec_errors(spec)}
    # then each message is said by at least one case
    missing = [m for m in msgids if not any(_template_pattern(m).fullmatch(s) for s in said)]
    assert missing == []


def test_spec_errors_never_raises_for_odd_but_typed_specs():
    # given numbers of every kind where numbers go
    for value in ("NaN", "-Infinity", "sNaN", "1E+999999", "-0"):
        spec = base(q.NUMERICAL, numeric_answers=(number(value, tolerance=value, fraction=value),))
        # when / then: a list of messages, never an exception
        assert isinstance(spec_errors(spec), list)
