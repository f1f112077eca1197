"""A question as a member sees it: option orders and the member dict (pure)."""

import json
import random
from decimal import Decimal

import pytest

from exams.quizzes import spec as qspec
from exams.quizzes.presentation import option_order_for, question_for_member

from .conftest import SECRETS, spec_for

ALL_TYPES = qspec.QUESTION_TYPES


def _member(spec, *, shuffle=True, seed=1, response=None):
    order = option_order_for(spec, shuffle=shuffle, rng=random.Random(seed))
    return question_for_member(spec=spec, position=3, option_order=order, response=response)


@pytest.mark.parametrize("qtype", ALL_TYPES)
def test_member_dict_never_holds_grading_data(qtype):
    # given a question of each type whose grading data all carry a secret marker
    spec = spec_for(qtype)
    # when it is presented (shuffled or not)
    for shuffle in (True, False):
        payload = json.dumps(_member(spec, shuffle=shuffle))
        # then no fraction, feedback, accepted answer, tolerance or marker leaves
        for secret in SECRETS:
            assert secret not in payload
        for word in ("fraction", "feedback", "tolerance", "42.125", "correct", "accepted"):
            assert word not in payload


@pytest.mark.parametrize("qtype", ALL_TYPES)
def test_member_dict_has_the_documented_keys(qtype):
    data = _member(spec_for(qtype), response={"x": 1})
    assert set(data) == {
        "position",
        "qtype",
        "text",
        "options",
        "prompts",
        "answers",
        "items",
        "gaps",
        "response",
    }
    assert data["position"] == 3
    assert data["qtype"] == qtype
    assert data["response"] == {"x": 1}
    assert data["text"].startswith("<p>")


def test_choices_keep_keys_and_texts_in_the_given_order():
    spec = spec_for(qspec.SINGLE)
    data = question_for_member(spec=spec, position=1, option_order=["c", "a", "b"], response=None)
    assert [o["key"] for o in data["options"]] == ["c", "a", "b"]
    assert [o["text"] for o in data["options"]] == ["<p>Gamma</p>", "<p>Alpha</p>", "<p>Beta</p>"]


def test_an_option_missing_from_a_stored_order_is_still_shown():
    spec = spec_for(qspec.SINGLE)
    data = question_for_member(spec=spec, position=1, option_order=["b", "zz"], response=None)
    assert [o["key"] for o in data["options"]] == ["b", "a", "c"]


def test_single_and_multi_shuffle_only_when_asked():
    spec = spec_for(qspec.MULTI)
    assert option_order_for(spec, shuffle=False, rng=random.Random(1)) == ["a", "b", "c"]
    orders = {tuple(option_order_for(spec, shuffle=True, rng=random.Random(s))) for s in range(40)}
    assert len(orders) > 1
    assert all(sorted(order) == ["a", "b", "c"] for order in orders)


def test_truefalse_is_never_shuffled():
    spec = spec_for(qspec.TRUEFALSE)
    for seed in range(20):
        assert option_order_for(spec, shuffle=True, rng=random.Random(seed)) == ["true", "false"]


def test_ordering_items_are_always_shuffled_and_never_correct():
    spec = spec_for(qspec.ORDERING)
    correct = [item.key for item in spec.items]
    for seed in range(200):
        for shuffle in (True, False):
            order = option_order_for(spec, shuffle=shuffle, rng=random.Random(seed))
            assert sorted(order) == sorted(correct)
            assert order != correct
    # two items: the only other order
    two = qspec.QuestionSpec(
        qtype=qspec.ORDERING,
        text="<p>Order</p>",
        items=(qspec.OrderItem("x", "X"), qspec.OrderItem("y", "Y")),
    )
    assert option_order_for(two, shuffle=False, rng=random.Random(0)) == ["y", "x"]


def test_matching_lists_prompts_and_distinct_answers_without_pairing_them():
    spec = spec_for(qspec.MATCHING)
    unshuffled = option_order_for(spec, shuffle=False, rng=random.Random(0))
    # authored order would pair answers with prompts: unshuffled is sorted instead
    assert unshuffled == sorted(["Extinguisher", "Bandage", "Torch", "Umbrella"])
    data = question_for_member(spec=spec, position=1, option_order=unshuffled, response=None)
    assert [p["key"] for p in data["prompts"]] == ["p1", "p2", "p3"]  # the distractor has none
    assert data["answers"] == unshuffled
    assert data["options"] == [] and data["items"] == []
    shared = qspec.QuestionSpec(
        qtype=qspec.MATCHING,
        text="<p>M</p>",
        pairs=(
            qspec.MatchPair("p1", "A", "Same"),
            qspec.MatchPair("p2", "B", "Same"),
            qspec.MatchPair("p3", "C", "Other"),
        ),
    )
    assert sorted(option_order_for(shared, shuffle=True, rng=random.Random(3))) == [
        "Other",
        "Same",
    ]


def test_gapfill_counts_gaps_and_shows_no_answers():
    spec = spec_for(qspec.GAPFILL)
    data = _member(spec)
    assert data["gaps"] == 2
    assert "[[1]]" in data["text"] and "[[2]]" in data["text"]
    assert option_order_for(spec, shuffle=True, rng=random.Random(0)) == []


@pytest.mark.parametrize("qtype", [qspec.SHORTANSWER, qspec.NUMERICAL, qspec.ESSAY])
def test_typed_answers_have_no_options(qtype):
    data = _member(spec_for(qtype))
    assert (data["options"], data["prompts"], data["answers"], data["items"], data["gaps"]) == (
        [],
        [],
        [],
        [],
        0,
    )


def test_script_in_question_text_is_not_rendered():
    # the bank cleans text on the way in; the member dict renders what is stored
    from exams.quizzes.richtext import clean_html

    spec = qspec.QuestionSpec(
        qtype=qspec.ESSAY,
        text=clean_html('<p onclick="x()">Hi<script>alert(1)</script></p>'),
        default_mark=Decimal(1),
    )
    data = _member(spec)
    assert "<script" not in data["text"] and "onclick" not in data["text"]
