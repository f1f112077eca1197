"""The grading rules (``exams.quizzes.grading``), type by type: no database.

Tables of right, partial, wrong, unanswered and garbage responses; each rule of the
docstrings has a row that fails without it. ``test_grading_properties`` adds the
hypothesis properties over any valid question.
"""

from decimal import Decimal

import pytest

from exams.quizzes import grading as g
from exams.quizzes import spec as q

D = Decimal


def choice(key, fraction, feedback=""):
    return q.Choice(key=key, text=f"<p>{key}</p>", fraction=D(fraction), feedback=feedback)


SINGLE = q.QuestionSpec(
    qtype=q.SINGLE,
    text="<p>Which extinguisher for an electrical fire?</p>",
    choices=(
        choice("co2", "1", "<p>Yes.</p>"),
        choice("powder", "0.5", "<p>Works, but messy.</p>"),
        choice("water", "0", "<p>Never on live wires.</p>"),
        choice("foam", "-0.5", "<p>No.</p>"),  # invalid for single, still graded safely
    ),
)
TRUEFALSE = q.QuestionSpec(
    qtype=q.TRUEFALSE,
    text="<p>Water conducts electricity.</p>",
    choices=(choice("true", "1", "<p>Right.</p>"), choice("false", "0", "<p>It does.</p>")),
)
MULTI = q.QuestionSpec(
    qtype=q.MULTI,
    text="<p>Which are fire classes?</p>",
    choices=(
        choice("a", "0.5", "<p>A: solids.</p>"),
        choice("b", "0.5", "<p>B: liquids.</p>"),
        choice("x", "-1", "<p>X is not a class.</p>"),
        choice("z", "0"),
        choice("y", "-0.25", "<p>Nor Y.</p>"),
    ),
)
THIRDS = q.QuestionSpec(
    qtype=q.MULTI,
    text="<p>Moodle's thirds</p>",
    choices=(
        choice("a", "0.3333333"),
        choice("b", "0.3333333"),
        choice("c", "0.3333333"),
        choice("d", "-1"),
    ),
)
SHORT = q.QuestionSpec(
    qtype=q.SHORTANSWER,
    text="<p>Who wrote it?</p>",
    text_answers=(
        q.TextAnswer(text="Lu Xun", fraction=D("1"), feedback="<p>Yes.</p>"),
        q.TextAnswer(text="Zhou *", fraction=D("0.5"), feedback="<p>His real name.</p>"),
        q.TextAnswer(text="鲁迅", fraction=D("1"), feedback="<p>对。</p>"),
        q.TextAnswer(text="*", fraction=D("0"), feedback="<p>No.</p>"),
    ),
)
LITERAL = q.QuestionSpec(
    qtype=q.SHORTANSWER,
    text="<p>Regex characters are literal</p>",
    text_answers=(
        q.TextAnswer(text="a.b (c)+[d]?", fraction=D("1")),
        q.TextAnswer(text="x*y*z", fraction=D("0.4")),
        q.TextAnswer(text="the *", fraction=D("0.3")),
        q.TextAnswer(text="a * b", fraction=D("0.2")),
    ),
)
CASED = q.QuestionSpec(
    qtype=q.SHORTANSWER,
    text="<p>Chemical symbol of cobalt</p>",
    case_sensitive=True,
    text_answers=(q.TextAnswer(text="Co", fraction=D("1")),),
)
NUMERICAL = q.QuestionSpec(
    qtype=q.NUMERICAL,
    text="<p>How many metres?</p>",
    numeric_answers=(
        q.NumericAnswer(value=D("1.5"), tolerance=D("0.1"), fraction=D("1"), feedback="<p>Y</p>"),
        q.NumericAnswer(value=D("1.5"), tolerance=D("0.5"), fraction=D("0.5"), feedback="<p>~</p>"),
        q.NumericAnswer(value=D("-3"), tolerance=D("0"), fraction=D("0.25")),
    ),
)
GAPFILL = q.QuestionSpec(
    qtype=q.GAPFILL,
    text="<p>[[1]] is the capital of [[2]]; [[3]] is its river.</p>",
    text_answers=(
        q.TextAnswer(text="Beijing", fraction=D("1"), gap=1, feedback="<p>g1</p>"),
        q.TextAnswer(text="北京", fraction=D("1"), gap=1),
        q.TextAnswer(text="Peking", fraction=D("0.5"), gap=1, feedback="<p>old</p>"),
        q.TextAnswer(text="China", fraction=D("1"), gap=2),
        q.TextAnswer(text="*he", fraction=D("1"), gap=3),
    ),
)
MATCHING = q.QuestionSpec(
    qtype=q.MATCHING,
    text="<p>Match the class with the fire.</p>",
    pairs=(
        q.MatchPair(key="p1", prompt="A", answer="solids"),
        q.MatchPair(key="p2", prompt="B", answer="liquids"),
        q.MatchPair(key="p3", prompt="F", answer="liquids"),  # two prompts, one answer
        q.MatchPair(key="p4", prompt="C", answer="gases"),
        q.MatchPair(key="d1", prompt="", answer="metals"),  # a distractor
    ),
)
ORDERING = q.QuestionSpec(
    qtype=q.ORDERING,
    text="<p>Order the steps.</p>",
    items=(
        q.OrderItem(key="raise", text="Raise the alarm"),
        q.OrderItem(key="leave", text="Leave"),
        q.OrderItem(key="call", text="Call 119"),
        q.OrderItem(key="wait", text="Wait outside"),
    ),
)
ESSAY = q.QuestionSpec(qtype=q.ESSAY, text="<p>Describe the drill.</p>")


def check(spec, response, fraction, state, feedback=None):
    # when
    result = g.grade(spec, response)
    # then
    assert result.fraction == (None if fraction is None else D(fraction))
    assert result.state == state
    if feedback is not None:
        assert result.feedback == tuple(feedback)
    return result


# --- single and true/false -------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "fraction", "state", "feedback"),
    [
        ({"choice": "co2"}, "1", "right", ["<p>Yes.</p>"]),
        ({"choice": "powder"}, "0.5", "partial", ["<p>Works, but messy.</p>"]),
        ({"choice": "water"}, "0", "wrong", ["<p>Never on live wires.</p>"]),
        ({"choice": "foam"}, "0", "wrong", ["<p>No.</p>"]),  # a negative fraction floors at 0
        ({"choice": "CO2"}, "0", "wrong", []),  # keys are exact
        ({"choice": "nope"}, "0", "wrong", []),
        ({"choice": ["co2"]}, "0", "wrong", []),
        ({"choice": 1}, "0", "wrong", []),
        ({"choice": True}, "0", "wrong", []),
        ({"choice": {"co2": 1}}, "0", "wrong", []),
        ({"choices": ["co2"]}, "0", "unanswered", []),
        ({"choice": ""}, "0", "unanswered", []),
        ({"choice": None}, "0", "unanswered", []),
        ({}, "0", "unanswered", []),
        (None, "0", "unanswered", []),
        ("co2", "0", "unanswered", []),
        (["co2"], "0", "unanswered", []),
        ({"choice": "co2", "extra": "ignored"}, "1", "right", ["<p>Yes.</p>"]),
    ],
)
def test_single(response, fraction, state, feedback):
    check(SINGLE, response, fraction, state, feedback)


@pytest.mark.parametrize(
    ("response", "fraction", "state"),
    [
        ({"choice": "true"}, "1", "right"),
        ({"choice": "false"}, "0", "wrong"),
        ({"choice": "True"}, "0", "wrong"),
        ({"choice": True}, "0", "wrong"),
        ({"choice": "maybe"}, "0", "wrong"),
        ({"choice": None}, "0", "unanswered"),
    ],
)
def test_truefalse(response, fraction, state):
    check(TRUEFALSE, response, fraction, state)


# --- multiple response ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "fraction", "state"),
    [
        ({"choices": ["a", "b"]}, "1", "right"),
        ({"choices": ["b", "a"]}, "1", "right"),  # order does not matter
        ({"choices": ["a"]}, "0.5", "partial"),
        ({"choices": ["a", "a", "a"]}, "0.5", "partial"),  # a duplicate counts once
        ({"choices": ["a", "b", "z"]}, "1", "right"),
        ({"choices": ["a", "b", "y"]}, "0.75", "partial"),  # negative fractions subtract
        ({"choices": ["a", "x"]}, "0", "wrong"),  # ... and the sum floors at 0
        ({"choices": ["x", "y"]}, "0", "wrong"),
        ({"choices": ["a", "b", "x", "y", "z"]}, "0", "wrong"),  # choosing all is not free
        ({"choices": ["a", "nope", "b"]}, "1", "right"),  # an unknown key counts 0
        ({"choices": ["a", 3, None, ["b"], {"b": 1}]}, "0.5", "partial"),
        ({"choices": "ab"}, "0", "wrong"),  # a string is not a list of keys
        ({"choices": {"a": True, "b": True}}, "0", "wrong"),
        ({"choices": 1}, "0", "wrong"),
        ({"choices": []}, "0", "unanswered"),
        ({"choice": "a"}, "0", "unanswered"),
        (None, "0", "unanswered"),
    ],
)
def test_multi(response, fraction, state):
    check(MULTI, response, fraction, state)


def test_multi_feedback_follows_the_question_order_not_the_response():
    check(
        MULTI,
        {"choices": ["y", "z", "b", "a"]},
        "0.75",
        "partial",
        ["<p>A: solids.</p>", "<p>B: liquids.</p>", "<p>Nor Y.</p>"],
    )


@pytest.mark.parametrize(
    ("response", "fraction", "state"),
    [
        ({"choices": ["a", "b", "c"]}, "1", "right"),  # 0.9999999 is full marks, as in Moodle
        ({"choices": ["a", "b"]}, "0.6666666", "partial"),
        ({"choices": ["a", "b", "c", "d"]}, "0", "wrong"),
    ],
)
def test_multi_with_moodle_thirds(response, fraction, state):
    check(THIRDS, response, fraction, state)


# --- short answer ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fraction", "state"),
    [
        ("Lu Xun", "1", "right"),
        ("lu xun", "1", "right"),  # case-insensitive by default
        ("  LU   XUN \n", "1", "right"),  # trimmed, whitespace collapsed
        ("Ｌｕ\u3000Ｘｕｎ", "1", "right"),  # full-width letters and space (NFKC)
        ("鲁迅", "1", "right"),
        ("Zhou Shuren", "0.5", "partial"),  # wildcard
        ("zhou", "0.5", "partial"),  # "Zhou *": the wildcard may be empty
        ("zhoushuren", "0", "wrong"),  # ... but the space before it is not
        ("Lu Xun!", "0", "wrong"),  # matches only the 0% catch-all
        ("LuXun", "0", "wrong"),
        ("", "0", "unanswered"),
        ("   ", "0", "unanswered"),
    ],
)
def test_shortanswer(text, fraction, state):
    check(SHORT, {"text": text}, fraction, state)


def test_shortanswer_feedback_is_the_best_matching_answers():
    check(SHORT, {"text": "zhou shuren"}, "0.5", "partial", ["<p>His real name.</p>"])
    check(SHORT, {"text": "anything"}, "0", "wrong", ["<p>No.</p>"])


@pytest.mark.parametrize(
    ("text", "fraction"),
    [
        ("a.b (c)+[d]?", "1"),
        ("aXb (c)+[d]?", "0"),  # "." is not "any character"
        ("a.b (c)[d]", "0"),  # "+" and "?" are not quantifiers
        ("xyz", "0.4"),
        ("x and y and z", "0.4"),
        ("xz", "0"),
        ("the end", "0.3"),
        ("the", "0.3"),  # the wildcard may be empty
        ("them", "0"),  # "the *" is the word "the", then anything
        ("a b", "0.2"),  # "a * b" with an empty wildcard
        ("a long b", "0.2"),
        ("ab", "0"),
        ("a longb", "0"),
    ],
)
def test_shortanswer_wildcards_and_literal_characters(text, fraction):
    assert g.grade(LITERAL, {"text": text}).fraction == D(fraction)


@pytest.mark.parametrize(
    ("text", "fraction"), [("Co", "1"), ("co", "0"), ("CO", "0"), (" Co ", "1"), ("Ｃｏ", "1")]
)
def test_shortanswer_case_sensitive(text, fraction):
    assert g.grade(CASED, {"text": text}).fraction == D(fraction)


@pytest.mark.parametrize(
    "response",
    [
        {"text": 1},
        {"text": ["Lu Xun"]},
        {"text": {"Lu Xun": 1}},
        {"text": True},
        {"text": 1.5},
        {"text": "Lu Xun" * 5000},
    ],
)
def test_shortanswer_garbage_scores_zero(response):
    check(SHORT, response, "0", "wrong")


def test_a_huge_text_is_refused_quickly_even_against_many_wildcards():
    # given a pattern full of wildcards and a text just under the length limit
    spec = q.QuestionSpec(
        qtype=q.SHORTANSWER,
        text="<p>?</p>",
        text_answers=(q.TextAnswer(text="*a*a*a*a*a*a*a*a*b", fraction=D(1)),),
    )
    text = "a" * (g.MAX_TEXT_LENGTH - 1)
    # when / then: no backtracking blow-up (a regular expression would take hours here)
    assert g.grade(spec, {"text": text}).fraction == 0
    assert g.grade(spec, {"text": text + "b"}).fraction == 1  # at the limit
    assert g.grade(spec, {"text": text + "ab"}).fraction == 0  # over it


@pytest.mark.parametrize(
    ("pattern", "text", "case_sensitive", "expected"),
    [
        ("abc", "abc", False, True),
        ("abc", "ABC", False, True),
        ("abc", "ABC", True, False),
        ("*", "x", False, True),
        ("*c", "abc", False, True),
        ("a*", "abc", False, True),
        ("a*c", "ac", False, True),
        ("a*a", "a", False, False),  # head and tail cannot overlap
        ("a*b*c", "acb", False, False),
        ("a*b*c", "aXbYc", False, True),
        ("a**c", "abc", False, True),
        ("* b *", "a b c", False, True),
        ("* b *", "abc", False, False),
        ("* b *", "b", False, True),
        ("x * y * z", "x y z", False, True),
        ("x * y * z", "x yz", False, False),
        ("straße", "STRASSE", False, True),  # case folding, not just lowering
        ("ｆｕｌｌ＊", "full width", False, True),  # a full-width asterisk is a wildcard too
    ],
)
def test_text_matches(pattern, text, case_sensitive, expected):
    assert g.text_matches(pattern, text, case_sensitive=case_sensitive) is expected


# --- numerical -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "fraction", "state"),
    [
        ("1.5", "1", "right"),
        ("1,5", "1", "right"),  # a decimal comma
        ("１．５", "1", "right"),  # full-width digits and point
        (" +1.50 ", "1", "right"),
        ("1.4", "1", "right"),  # the tolerance's edges are included
        ("1.6", "1", "right"),
        ("1.60000001", "0.5", "partial"),  # just outside: the wider answer
        ("1.39999999", "0.5", "partial"),
        ("2.0", "0.5", "partial"),
        ("1", "0.5", "partial"),
        ("2.0000001", "0", "wrong"),
        ("15e-1", "1", "right"),
        ("0.15E1", "1", "right"),
        (".15e+1", "1", "right"),
        ("-3", "0.25", "partial"),
        ("-3.0000", "0.25", "partial"),
        ("-3.0001", "0", "wrong"),
        ("3", "0", "wrong"),
        (1.5, "1", "right"),  # a JSON number is read as its decimal text
        (2, "0.5", "partial"),
        (True, "0", "wrong"),
        ("NaN", "0", "wrong"),
        ("nan", "0", "wrong"),
        ("Infinity", "0", "wrong"),
        ("-inf", "0", "wrong"),
        (float("nan"), "0", "wrong"),
        (float("inf"), "0", "wrong"),
        ("1e999999999", "0", "wrong"),  # exponent too long
        ("1e999", "0", "wrong"),
        ("1,000.5", "0", "wrong"),  # thousands separators are not guessed
        ("1,5,0", "0", "wrong"),
        ("1.5.0", "0", "wrong"),
        ("0x1", "0", "wrong"),
        ("1_5", "0", "wrong"),
        ("1.5m", "0", "wrong"),
        ("one", "0", "wrong"),
        ("1" * 101, "0", "wrong"),
        (["1.5"], "0", "wrong"),
        ({"v": "1.5"}, "0", "wrong"),
        ("", "0", "unanswered"),
        ("  ", "0", "unanswered"),
        (None, "0", "unanswered"),
    ],
)
def test_numerical(value, fraction, state):
    check(NUMERICAL, {"value": value}, fraction, state)


def test_numerical_feedback_is_the_best_answers():
    check(NUMERICAL, {"value": "1.5"}, "1", "right", ["<p>Y</p>"])
    check(NUMERICAL, {"value": "1.9"}, "0.5", "partial", ["<p>~</p>"])


def test_numerical_is_exact_decimal_arithmetic():
    # given an answer whose tolerance edge is not representable in binary floating point
    spec = q.QuestionSpec(
        qtype=q.NUMERICAL,
        text="<p>?</p>",
        numeric_answers=(q.NumericAnswer(value=D("0.3"), tolerance=D("0.1"), fraction=D(1)),),
    )
    # then 0.2 and 0.4 are exactly on the edges (0.3 - 0.1 != 0.2 in floats)
    assert g.grade(spec, {"value": "0.2"}).fraction == 1
    assert g.grade(spec, {"value": "0.4"}).fraction == 1
    assert g.grade(spec, {"value": "0.4000000000000000000000000000001"}).fraction == 0


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1.5", D("1.5")),
        ("1,5", D("1.5")),
        ("-0", D("0")),
        ("1E+2", D("100")),
        ("1.", D("1")),
        (7, D("7")),
        ("", None),
        (".", None),
        ("e5", None),
        ("--1", None),
        (None, None),
        (False, None),
    ],
)
def test_parse_number(typed, expected):
    assert g.parse_number(typed) == expected


# --- fill in the blanks --------------------------------------------------------------


@pytest.mark.parametrize(
    ("gaps", "fraction", "state"),
    [
        (["Beijing", "China", "the"], "1", "right"),
        (["北京", "china", "She"], "1", "right"),
        (["Peking", "China", "he"], "0.8333333", "partial"),  # (0.5 + 1 + 1) / 3
        (["Beijing", "Japan", "he"], "0.6666667", "partial"),
        (["Beijing"], "0.3333333", "partial"),  # missing gaps earn 0
        (["Beijing", "China", "the", "extra"], "1", "right"),  # extras are ignored
        (["China", "Beijing", "the"], "0.3333333", "partial"),  # gaps are in order
        ([None, "China", 3], "0.3333333", "partial"),
        (["", "", ""], "0", "unanswered"),
        ([], "0", "unanswered"),
        ("Beijing", "0", "wrong"),
        ({"1": "Beijing"}, "0", "wrong"),
        ([["Beijing"]], "0", "wrong"),
        (None, "0", "unanswered"),
    ],
)
def test_gapfill(gaps, fraction, state):
    check(GAPFILL, {"gaps": gaps}, fraction, state)


def test_gapfill_feedback_in_gap_order():
    check(GAPFILL, {"gaps": ["Peking", "China", "the"]}, "0.8333333", "partial", ["<p>old</p>"])
    check(GAPFILL, {"gaps": ["Beijing", "x", "y"]}, "0.3333333", "partial", ["<p>g1</p>"])


def test_gapfill_case_sensitive():
    spec = q.QuestionSpec(
        qtype=q.GAPFILL,
        text="<p>[[1]] [[2]]</p>",
        case_sensitive=True,
        text_answers=(
            q.TextAnswer(text="Co", fraction=D(1), gap=1),
            q.TextAnswer(text="Ni", fraction=D(1), gap=2),
        ),
    )
    assert g.grade(spec, {"gaps": ["Co", "ni"]}).fraction == D("0.5")


# --- matching --------------------------------------------------------------------------

ALL_RIGHT = {"p1": "solids", "p2": "liquids", "p3": "liquids", "p4": "gases"}


@pytest.mark.parametrize(
    ("matches", "fraction", "state"),
    [
        (ALL_RIGHT, "1", "right"),
        ({**ALL_RIGHT, "p4": "metals"}, "0.75", "partial"),
        ({"p1": "solids"}, "0.25", "partial"),
        ({"p1": "liquids", "p2": "solids", "p3": "gases", "p4": "liquids"}, "0", "wrong"),
        ({**ALL_RIGHT, "d1": "metals", "zz": "x"}, "1", "right"),  # unknown keys ignored
        ({**ALL_RIGHT, "p1": "Solids"}, "0.75", "partial"),  # answer texts are exact
        ({**ALL_RIGHT, "p1": ["solids"]}, "0.75", "partial"),
        ({**ALL_RIGHT, "p1": None}, "0.75", "partial"),
        ([["p1", "solids"]], "0", "wrong"),
        ("p1=solids", "0", "wrong"),
        ({}, "0", "unanswered"),
        (None, "0", "unanswered"),
    ],
)
def test_matching(matches, fraction, state):
    check(MATCHING, {"matches": matches}, fraction, state, feedback=[])


# --- ordering ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("order", "fraction", "state"),
    [
        (["raise", "leave", "call", "wait"], "1", "right"),
        (["leave", "raise", "call", "wait"], "0.5", "partial"),  # two at their place
        (["wait", "raise", "leave", "call"], "0", "wrong"),  # all shifted: absolute position
        (["raise", "leave"], "0.5", "partial"),  # missing items are wrong
        (["raise", "leave", "call", "wait", "raise"], "1", "right"),  # extras ignored
        (["raise", "raise", "raise", "raise"], "0.25", "partial"),
        (["nope", "leave", 3, None], "0.25", "partial"),
        ("raise,leave,call,wait", "0", "wrong"),
        ({"0": "raise"}, "0", "wrong"),
        ([], "0", "unanswered"),
        (None, "0", "unanswered"),
    ],
)
def test_ordering(order, fraction, state):
    check(ORDERING, {"order": order}, fraction, state, feedback=[])


# --- essay -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "fraction", "state"),
    [
        ({"text": "We left by the east stairs."}, None, "manual"),
        ({"text": "   "}, "0", "unanswered"),
        ({"text": ""}, "0", "unanswered"),
        ({"text": 5}, "0", "unanswered"),
        ({}, "0", "unanswered"),
        (None, "0", "unanswered"),
    ],
)
def test_essay(response, fraction, state):
    check(ESSAY, response, fraction, state, feedback=[])


def test_an_unknown_type_scores_zero():
    check(q.QuestionSpec(qtype="calculated", text="<p>?</p>"), {"value": "1"}, "0", "wrong")


def test_fractions_have_seven_places_rounded_half_up():
    # given three gaps, one right: 1/3 = 0.33333333… → 0.3333333; two right → 0.6666667
    assert g.grade(GAPFILL, {"gaps": ["Beijing"]}).fraction.as_tuple().exponent == -7
    assert str(g.grade(GAPFILL, {"gaps": ["Beijing", "China"]}).fraction) == "0.6666667"


# --- scores and quiz grades ------------------------------------------------------------


@pytest.mark.parametrize(
    ("fraction", "mark", "expected"),
    [
        ("1", "2", "2.000"),
        ("0.3333333", "1", "0.333"),
        ("0.6666667", "1", "0.667"),
        ("0.0005", "1", "0.001"),  # half up
        ("0.0004999", "1", "0.000"),
        ("0.5", "0.25", "0.125"),
        ("0.3333333", "3", "1.000"),
        ("1.5", "2", "2.000"),  # clamped to the mark
        ("-0.5", "2", "0.000"),
        ("1", "-2", "0.000"),
    ],
)
def test_score(fraction, mark, expected):
    result = g.score(fraction=D(fraction), mark=D(mark))
    assert str(result) == expected


@pytest.mark.parametrize(
    ("score", "max_score", "expected"),
    [
        ("1", "3", "33.33"),
        ("2", "3", "66.67"),
        ("3", "3", "100.00"),
        ("1", "0", "0.00"),
        ("4", "3", "100.00"),
        ("0.005", "100", "0.01"),
    ],
)
def test_percent(score, max_score, expected):
    assert str(g.percent(score=D(score), max_score=D(max_score))) == expected


@pytest.mark.parametrize(
    ("method", "percents", "expected"),
    [
        ("highest", ["40", "90.5", "70"], "90.50"),
        ("average", ["40", "90.5", "70"], "66.83"),  # 200.5 / 3 = 66.8333…
        ("average", ["33.33", "33.34"], "33.34"),  # 33.335 rounds half up
        ("first", ["40", "90.5", "70"], "40.00"),
        ("last", ["40", "90.5", "70"], "70.00"),
        ("highest", ["0"], "0.00"),
        ("average", ["100", "100"], "100.00"),
    ],
)
def test_quiz_grade(method, percents, expected):
    result = g.quiz_grade(method=method, percents=[D(p) for p in percents])
    assert str(result) == expected


@pytest.mark.parametrize("method", g.GRADING_METHODS)
def test_quiz_grade_without_attempts_is_none(method):
    assert g.quiz_grade(method=method, percents=[]) is None


def test_quiz_grade_refuses_an_unknown_method():
    with pytest.raises(ValueError, match="median"):
        g.quiz_grade(method="median", percents=[D(1)])


def test_grading_methods_match_the_models_choices():
    from exams.quizzes.models import GradingMethod

    assert set(g.GRADING_METHODS) == set(GradingMethod.values)
