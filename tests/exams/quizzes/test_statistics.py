"""Quiz statistics (``exams.quizzes.statistics``) against hand-computed numbers, and
against the same definitions in exact rational arithmetic for arbitrary data (no
database)."""

import math
import statistics as pystats
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exams.quizzes import statistics as s

D = Decimal


def attempt(*fractions_and_marks, total=None):
    """``attempt(("1", "1"), ("0.5", "2"))``: per position from 1, (fraction, mark)."""
    slots = {
        position: s.SlotScore(fraction=None if f is None else D(f), mark=D(m))
        for position, (f, m) in enumerate(fractions_and_marks, start=1)
    }
    return s.AttemptScores(slots=slots, total=None if total is None else D(total))


# Four attempts, three positions (the third worth 2 marks). Worked by hand:
#
#   attempt  p1  p2  p3(score)  total | rest of quiz: p1  p2  p3
#   A1        1   1   1 (2)      4    |               3   3   2
#   A2        1   0   .5 (1)     2    |               1   2   1
#   A3        0   1   0 (0)      1    |               1   0   1
#   A4        0   0   .5 (1)     1    |               1   1   0
#
# p1: x = 1,1,0,0; y = 3,1,1,1. var x = 1/3, var y = 1, cov = 1/3
#     → facility 50 %, SD 57.74 %, discrimination (1/3)/√(1/3) = 57.74 %,
#     sorted x and y give the same covariance → efficiency 100 %.
# p2: x = 1,0,1,0; y = 3,2,0,1. cov = 0 → discrimination 0 %; cov max = 2/3 → efficiency 0 %.
# p3: x = 2,1,0,1; y = 2,1,1,0. var x = var y = 2/3, cov = 1/3 → facility 1/2 = 50 %,
#     SD √(2/3)/2 = 40.82 %, discrimination 50 %, cov max 2/3 → efficiency 50 %.
ROWS = [
    attempt(("1", "1"), ("1", "1"), ("1", "2")),
    attempt(("1", "1"), ("0", "1"), ("0.5", "2")),
    attempt(("0", "1"), ("1", "1"), ("0", "2")),
    attempt(("0", "1"), ("0", "1"), ("0.5", "2")),
]


def test_question_statistics_match_the_hand_computed_table():
    # when
    p1, p2, p3 = s.question_statistics(ROWS)
    # then
    assert p1 == s.QuestionStats(
        position=1,
        count=4,
        mean_score=D("0.500"),
        max_mark=D("1.00"),
        facility_index=D("50.00"),
        standard_deviation=D("57.74"),
        discrimination_index=D("57.74"),
        discriminative_efficiency=D("100.00"),
        warnings=(),
    )
    assert (p2.facility_index, p2.discrimination_index, p2.discriminative_efficiency) == (
        D("50.00"),
        D("0.00"),
        D("0.00"),
    )
    assert p2.warnings == ("low_discrimination",)
    assert (p3.mean_score, p3.max_mark, p3.facility_index, p3.standard_deviation) == (
        D("1.000"),
        D("2.00"),
        D("50.00"),
        D("40.82"),
    )
    assert (p3.discrimination_index, p3.discriminative_efficiency) == (D("50.00"), D("50.00"))


def test_the_total_defaults_to_the_sum_of_the_scores_and_a_given_total_is_used():
    # given the same attempts with their totals stated explicitly
    with_totals = [
        attempt(*row_slots, total=total)
        for row_slots, total in zip(
            [
                (("1", "1"), ("1", "1"), ("1", "2")),
                (("1", "1"), ("0", "1"), ("0.5", "2")),
                (("0", "1"), ("1", "1"), ("0", "2")),
                (("0", "1"), ("0", "1"), ("0.5", "2")),
            ],
            ["4", "2", "1", "1"],
            strict=True,
        )
    ]
    # then the statistics are the same
    assert s.question_statistics(with_totals) == s.question_statistics(ROWS)
    # and a different total (another part of the quiz) changes the rest-of-quiz score
    shifted = [attempt(("1", "1"), total="1"), attempt(("0", "1"), total="3")]
    (only,) = s.question_statistics(shifted)
    assert only.discrimination_index == D("-100.00")  # x: 1, 0; rest: 0, 3


def test_a_negative_discrimination_is_reported():
    # given the members who do well elsewhere get this question wrong
    rows = [
        attempt(("0", "1"), ("1", "1"), ("1", "1")),
        attempt(("1", "1"), ("0", "1"), ("0", "1")),
        attempt(("0", "1"), ("1", "1"), ("0", "1")),
    ]
    # when
    p1 = s.question_statistics(rows)[0]
    # then: x = 0,1,0; y = 2,0,1 → r = -0.866…
    assert p1.discrimination_index == D("-86.60")
    assert p1.warnings == ("low_discrimination",)


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([attempt(("1", "1"), ("0", "1"))], (1, D("100.00"), None, None, None)),  # one attempt
        (  # the question does not vary
            [attempt(("1", "1"), ("0", "1")), attempt(("1", "1"), ("1", "1"))],
            (2, D("100.00"), D("0.00"), None, None),
        ),
        (  # the rest of the quiz does not vary
            [attempt(("1", "1"), ("0", "1")), attempt(("0", "1"), ("0", "1"))],
            (2, D("50.00"), D("70.71"), None, None),
        ),
    ],
    ids=["one-attempt", "constant-question", "constant-rest"],
)
def test_undefined_indices_are_none(rows, expected):
    p1 = s.question_statistics(rows)[0]
    assert (
        p1.count,
        p1.facility_index,
        p1.standard_deviation,
        p1.discrimination_index,
        p1.discriminative_efficiency,
    ) == expected


def test_an_essay_waiting_for_marking_counts_for_no_statistic_of_its_position():
    # given a third attempt whose essay at position 2 is not marked yet
    rows = [
        attempt(("1", "1"), ("1", "1")),
        attempt(("0", "1"), ("0", "1")),
        attempt(("1", "1"), (None, "1")),
    ]
    # when
    p1, p2 = s.question_statistics(rows)
    # then position 2 counts two attempts, position 1 all three
    assert (p1.count, p2.count) == (3, 2)
    assert p2.facility_index == D("50.00")
    # and a position nobody has a score for yet has no numbers
    (only,) = s.question_statistics([attempt((None, "1"))])
    assert (only.count, only.facility_index, only.mean_score) == (0, None, None)


def test_no_attempts_no_rows():
    assert s.question_statistics([]) == []


def test_facility_over_varying_marks_is_points_over_possible_points():
    # given a random-question position whose drawn questions were worth 1 and 3
    rows = [attempt(("1", "1")), attempt(("0", "3"))]
    # then facility = (1 + 0) / (1 + 3) = 25 %
    assert s.question_statistics(rows)[0].facility_index == D("25.00")


@pytest.mark.parametrize(
    ("facility", "discrimination", "expected"),
    [
        (D("19.99"), D("50"), ("too_hard",)),
        (D("20"), D("25"), ()),
        (D("95"), D("24.99"), ("low_discrimination",)),
        (D("95.01"), None, ("too_easy",)),
        (None, None, ()),
    ],
)
def test_question_warnings(facility, discrimination, expected):
    stats = s.QuestionStats(1, 10, None, None, facility, None, discrimination, None)
    assert s.question_warnings(stats) == expected


# --- score distribution and summary ----------------------------------------------------


@pytest.mark.parametrize(
    ("percents", "bins", "expected"),
    [
        ([], 10, [0] * 10),
        (
            ["0", "9.99", "10", "55", "99.99", "100", "100", "-5", "120"],
            10,
            [3, 1, 0, 0, 0, 1, 0, 0, 0, 3 + 1],
        ),
        (["0", "24.99", "25", "50", "74.99", "75", "100"], 4, [2, 1, 2, 2]),
        (["33.33", "66.67"], 3, [1, 0, 1]),  # 33.33 < 33.333… (band 0); 66.67 ≥ 66.666…
        (["50"], 1, [1]),
    ],
)
def test_score_distribution(percents, bins, expected):
    assert s.score_distribution([D(p) for p in percents], bins=bins) == expected


def test_score_distribution_refuses_no_bins():
    with pytest.raises(ValueError, match="bins"):
        s.score_distribution([D(1)], bins=0)


def test_score_bands_label_the_distribution():
    assert s.score_bands(4) == [
        (D("0.00"), D("25.00")),
        (D("25.00"), D("50.00")),
        (D("50.00"), D("75.00")),
        (D("75.00"), D("100.00")),
    ]
    assert s.score_bands(3)[1] == (D("33.33"), D("66.67"))


def test_quiz_summary():
    summary = s.quiz_summary([D("80"), D("40"), D("100"), D("60")])
    # sd = √((30² + 10² + 10² + 30²) / 3) = √(2000/3) = 25.82
    assert summary == s.QuizSummary(
        count=4,
        mean=D("70.00"),
        median=D("70.00"),
        standard_deviation=D("25.82"),
        highest=D("100.00"),
        lowest=D("40.00"),
    )
    assert s.quiz_summary([D("55.5")]) == s.QuizSummary(
        1, D("55.50"), D("55.50"), None, D("55.50"), D("55.50")
    )
    assert s.quiz_summary([D("1"), D("2"), D("9")]).median == D("2.00")
    assert s.quiz_summary([]) == s.QuizSummary(0, None, None, None, None, None)


# --- against an independent implementation ------------------------------------------------

fractions = st.sampled_from(["0", "0.25", "0.5", "0.75", "1", "0.3333333"])


def _exact_covariance(xs, ys):
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / (len(xs) - 1)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.lists(fractions, min_size=3, max_size=3), min_size=2, max_size=25),
    st.lists(st.sampled_from(["1", "2", "0.5"]), min_size=3, max_size=3),
)
def test_indices_agree_with_exact_rational_arithmetic(table, marks):
    # given attempts over three positions with fixed marks
    rows = [attempt(*zip(row, marks, strict=True)) for row in table]
    # when
    result = s.question_statistics(rows)
    # then each position agrees with the same definitions in exact fractions
    for index, stats in enumerate(result):
        scores = [
            [Fraction(f) * Fraction(m) for f, m in zip(row, marks, strict=True)] for row in table
        ]
        xs = [row[index] for row in scores]
        ys = [sum(row) - row[index] for row in scores]
        mark = Fraction(marks[index])
        assert stats.count == len(table)
        assert float(stats.facility_index) == pytest.approx(
            float(100 * pystats.mean(xs) / mark), abs=0.0051
        )
        assert float(stats.standard_deviation) == pytest.approx(
            100 * math.sqrt(pystats.variance(xs)) / float(mark), abs=0.0051
        )
        var_x, var_y = pystats.variance(xs), pystats.variance(ys)
        if var_x and var_y:
            cov = _exact_covariance(xs, ys)
            expected = 100 * float(cov) / math.sqrt(float(var_x * var_y))
            assert float(stats.discrimination_index) == pytest.approx(expected, abs=0.0051)
            assert -100 <= stats.discrimination_index <= 100
        else:
            assert stats.discrimination_index is None
        cov_max = _exact_covariance(sorted(xs), sorted(ys))
        if cov_max:
            expected = 100 * float(_exact_covariance(xs, ys) / cov_max)
            assert float(stats.discriminative_efficiency) == pytest.approx(expected, abs=0.0051)
        else:
            assert stats.discriminative_efficiency is None


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.decimals(-10, 110, places=2), max_size=40),
    st.integers(1, 20),
)
def test_the_distribution_counts_every_attempt_once(percents, bins):
    counts = s.score_distribution(percents, bins=bins)
    assert len(counts) == bins
    assert sum(counts) == len(percents)
