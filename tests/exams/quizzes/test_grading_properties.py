"""Properties of grading over any valid question (hypothesis; no database).

- a score is always within [0, mark], a fraction within [0, 1] with 7 places;
- the right answer (``spec.correct_response``) always gets full marks;
- shuffling the options (and a response's lists, where their order means nothing)
  never changes a score;
- a response naming an option the question does not have scores 0 and raises nothing;
- arbitrary JSON never raises.
"""

import random
from decimal import Decimal

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from exams.quizzes import grading as g
from exams.quizzes import spec as q
from exams.quizzes.validation import spec_errors

from .strategies import (
    auto_graded_specs,
    garbage_responses,
    json_values,
    keys,
    shuffle_response,
    shuffle_spec,
    spec_and_response,
    specs,
)

FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_well_formed(result: g.Grade) -> None:
    assert result.state in g.STATES
    assert isinstance(result.feedback, tuple)
    assert all(isinstance(item, str) and item for item in result.feedback)
    if result.fraction is None:
        assert result.state == g.MANUAL
        return
    assert isinstance(result.fraction, Decimal)
    assert Decimal(0) <= result.fraction <= Decimal(1)
    assert result.fraction.as_tuple().exponent == -7
    expected_state = {Decimal(1): g.RIGHT}.get(result.fraction)
    if expected_state:
        assert result.state == expected_state
    elif result.fraction > 0:
        assert result.state == g.PARTIAL
    else:
        assert result.state in (g.WRONG, g.UNANSWERED)


@FAST
@given(specs())
def test_the_strategies_build_valid_questions(spec):
    assert spec_errors(spec) == []
    assert q.spec_from_dict(q.spec_to_dict(spec)) == spec


@FAST
@given(spec_and_response())
def test_a_score_is_always_within_zero_and_the_mark(case):
    # given any valid question and a well-formed or garbage response
    spec, response = case
    # when
    result = g.grade(spec, response)
    # then
    assert_well_formed(result)
    if result.fraction is not None:
        points = g.score(fraction=result.fraction, mark=spec.default_mark)
        assert Decimal(0) <= points <= spec.default_mark


@FAST
@given(auto_graded_specs())
def test_the_right_answer_always_gets_full_marks(spec):
    # given the response the review page shows as right
    response = q.correct_response(spec)
    # when
    result = g.grade(spec, response)
    # then
    assert result.fraction == 1
    assert result.state == g.RIGHT
    assert g.score(fraction=result.fraction, mark=spec.default_mark) == spec.default_mark


@FAST
@given(specs(q.ESSAY), st.text(min_size=1).filter(str.strip))
def test_an_essay_waits_for_marking(spec, text):
    assert g.grade(spec, {"text": text}) == g.Grade(fraction=None, feedback=(), state=g.MANUAL)


@FAST
@given(spec_and_response(), st.randoms(use_true_random=False))
def test_shuffling_the_options_never_changes_a_grade(case, rng):
    # given a question and a response
    spec, response = case
    before = g.grade(spec, response)
    # when its options, accepted answers and pairs are reordered, and the response's
    # unordered lists too
    shuffled = shuffle_spec(spec, random.Random(rng.random()))
    after = g.grade(shuffled, shuffle_response(response, random.Random(rng.random())))
    # then the fraction and state are the same; a choice question's feedback is that of
    # the same options, in the new order (when two accepted answers match equally well,
    # which one's feedback shows may change)
    assert (after.fraction, after.state) == (before.fraction, before.state)
    if spec.qtype in (q.SINGLE, q.TRUEFALSE, q.MULTI):
        assert sorted(after.feedback) == sorted(before.feedback)


def _unknown_key(spec: q.QuestionSpec, key: str) -> str:
    own = {c.key for c in spec.choices} | {p.key for p in spec.pairs}
    own |= {i.key for i in spec.items}
    return key if key not in own else key + "-not-an-option"


@FAST
@given(specs(q.SINGLE, q.TRUEFALSE, q.MULTI, q.MATCHING, q.ORDERING), keys)
def test_naming_an_option_the_question_does_not_have_scores_zero(spec, key):
    # given a key the question does not have
    stranger = _unknown_key(spec, key)
    answers = [p.answer for p in spec.pairs]
    response = {
        q.SINGLE: {"choice": stranger},
        q.TRUEFALSE: {"choice": stranger},
        q.MULTI: {"choices": [stranger]},
        q.MATCHING: {"matches": {stranger: answers[0] if answers else stranger}},
        q.ORDERING: {"order": [stranger] * len(spec.items)},
    }[spec.qtype]
    # when
    result = g.grade(spec, response)
    # then
    assert result.fraction == 0
    assert result.state == g.WRONG


@FAST
@given(specs(q.MULTI), keys)
def test_an_unknown_option_beside_the_right_ones_adds_nothing(spec, key):
    right = q.correct_response(spec)["choices"]
    result = g.grade(spec, {"choices": [*right, _unknown_key(spec, key)]})
    assert result.fraction == 1


@FAST
@given(specs(q.MULTI), st.data())
def test_duplicate_choices_count_once(spec, data):
    chosen = data.draw(st.lists(st.sampled_from([c.key for c in spec.choices]), min_size=1))
    doubled = chosen + data.draw(st.permutations(chosen))
    assert g.grade(spec, {"choices": doubled}) == g.grade(spec, {"choices": chosen})


@FAST
@given(specs(q.MULTI), st.data())
def test_a_multiple_response_never_exceeds_the_sum_of_its_positive_choices(spec, data):
    chosen = data.draw(st.lists(st.sampled_from([c.key for c in spec.choices]), unique=True))
    positive = sum((c.fraction for c in spec.choices if c.key in chosen and c.fraction > 0), 0)
    result = g.grade(spec, {"choices": chosen})
    assert result.fraction <= min(Decimal(1), positive) + g.FULL_MARKS_SLACK


@FAST
@given(specs(), json_values)
def test_arbitrary_json_never_raises(spec, response):
    assert_well_formed(g.grade(spec, response))


@FAST
@given(specs(), garbage_responses)
def test_response_shaped_garbage_never_raises(spec, response):
    assert_well_formed(g.grade(spec, response))


@settings(max_examples=60, deadline=None)
@given(
    auto_graded_specs(),
    st.text(min_size=1, max_size=12),
    st.integers(g.MAX_TEXT_LENGTH // 12, g.MAX_TEXT_LENGTH * 2),
)
def test_huge_strings_never_raise(spec, piece, length):
    text = (piece * (length // len(piece) + 1))[:length]
    for response in (
        {"choice": text},
        {"choices": [text]},
        {"text": text},
        {"value": text},
        {"gaps": [text, text]},
        {"matches": {text: text}},
        {"order": [text]},
    ):
        assert_well_formed(g.grade(spec, response))


@FAST
@given(st.sampled_from(g.GRADING_METHODS), st.lists(st.decimals(0, 100, places=2), min_size=1))
def test_a_quiz_grade_lies_within_the_attempts(method, percents):
    result = g.quiz_grade(method=method, percents=percents)
    assert min(percents) <= result <= max(percents)
    assert result.as_tuple().exponent == -2


@FAST
@given(
    st.decimals(0, 1, places=7),
    st.decimals(Decimal("0.01"), 1000, places=2),
)
def test_a_score_never_exceeds_its_mark(fraction, mark):
    assume(mark > 0)
    points = g.score(fraction=fraction, mark=mark)
    assert Decimal(0) <= points <= mark
    assert points.as_tuple().exponent == -3
