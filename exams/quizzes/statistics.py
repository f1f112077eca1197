"""Quiz statistics as Moodle's quiz statistics report defines them: pure, over plain data.

For each question position (slot), over the attempts that have a score for it, with
x = the score on that position and y = the score on the rest of the quiz (the attempt's
total minus x):

- facility index: the mean score as a share of the maximum, in % (Moodle: "the average
  score on this question as a percentage of the maximum"); a very high or low facility
  marks a question that tells members apart poorly;
- standard deviation: the sample standard deviation of x, as % of the maximum;
- discrimination index: the Pearson correlation of x and y, in % (-100 … 100); None when
  it is undefined (fewer than two attempts, or x or y does not vary);
- discriminative efficiency: the covariance of x and y as % of the largest covariance
  that the same x and y values could have (both sorted the same way); None when that
  maximum is 0 or undefined.

Positions with a random question mix the questions drawn there, as in Moodle's
per-slot table. Arithmetic is ``Decimal`` (28 digits); results are rounded to 2 places.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal, localcontext

ZERO = Decimal(0)
HUNDRED = Decimal(100)
PLACES = Decimal("0.01")


@dataclass(frozen=True)
class SlotScore:
    """A position's result in one attempt: the fraction earned (None while an essay waits
    for marking: the attempt then counts for no statistic of that position) and the mark
    the position was worth."""

    fraction: Decimal | None
    mark: Decimal


@dataclass(frozen=True)
class AttemptScores:
    """One finished attempt: its result per position, and its total score.

    The keys of ``slots`` are what the statistics are per: slot positions (Moodle's
    table), or question ids to pool a question across the positions it was drawn at.
    ``total`` defaults to the sum of the slots' scores (fraction × mark).
    """

    slots: Mapping[int, SlotScore]
    total: Decimal | None = None

    def total_score(self) -> Decimal:
        if self.total is not None:
            return self.total
        return sum(
            (
                slot.fraction * slot.mark
                for slot in self.slots.values()
                if slot.fraction is not None
            ),
            ZERO,
        )


@dataclass(frozen=True)
class QuestionStats:
    position: int  # the key of ``AttemptScores.slots``
    count: int  # attempts with a score for this position
    mean_score: Decimal | None  # points, 3 places
    max_mark: Decimal | None  # the position's mark (the mean, if it varied)
    facility_index: Decimal | None  # %, 2 places
    standard_deviation: Decimal | None  # % of the mark, 2 places
    discrimination_index: Decimal | None  # %, 2 places
    discriminative_efficiency: Decimal | None  # %, 2 places
    warnings: tuple[str, ...] = field(default=())  # codes, see ``question_warnings``


@dataclass(frozen=True)
class QuizSummary:
    count: int
    mean: Decimal | None  # %, 2 places
    median: Decimal | None
    standard_deviation: Decimal | None  # sample, percentage points
    highest: Decimal | None
    lowest: Decimal | None


#: Moodle's hints: facility outside 20–95 % or discrimination under 25 % deserve a look.
FACILITY_LOW = Decimal(20)
FACILITY_HIGH = Decimal(95)
DISCRIMINATION_LOW = Decimal(25)


def _round(value: Decimal | None, places: Decimal = PLACES) -> Decimal | None:
    if value is None:
        return None
    return value.quantize(places, rounding=ROUND_HALF_UP)


def _mean(values: Sequence[Decimal]) -> Decimal:
    return sum(values, ZERO) / len(values)


def _covariance(xs: Sequence[Decimal], ys: Sequence[Decimal]) -> Decimal:
    """Sample covariance (n - 1); the callers ensure n >= 2."""
    mx, my = _mean(xs), _mean(ys)
    return sum(((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)), ZERO) / (len(xs) - 1)


def question_warnings(stats: QuestionStats) -> tuple[str, ...]:
    """Why a question may be weak: "too_hard" (facility < 20 %), "too_easy" (> 95 %),
    "low_discrimination" (discrimination < 25 %, or undefined while the facility is
    known)."""
    found = []
    if stats.facility_index is not None:
        if stats.facility_index < FACILITY_LOW:
            found.append("too_hard")
        elif stats.facility_index > FACILITY_HIGH:
            found.append("too_easy")
    if stats.discrimination_index is not None and stats.discrimination_index < (DISCRIMINATION_LOW):
        found.append("low_discrimination")
    return tuple(found)


def _position_stats(position: int, pairs: list[tuple[Decimal, Decimal, Decimal]]) -> QuestionStats:
    """``pairs``: (score x, rest-of-quiz y, mark) per attempt."""
    count = len(pairs)
    if count == 0:
        return QuestionStats(position, 0, None, None, None, None, None, None)
    xs = [x for x, _, _ in pairs]
    ys = [y for _, y, _ in pairs]
    marks = [mark for _, _, mark in pairs]
    mean_x, mean_mark = _mean(xs), _mean(marks)
    facility = HUNDRED * sum(xs, ZERO) / sum(marks, ZERO) if mean_mark > 0 else None
    sd = discrimination = efficiency = None
    if count >= 2:
        var_x, var_y = _covariance(xs, xs), _covariance(ys, ys)
        cov = _covariance(xs, ys)
        if mean_mark > 0:
            sd = HUNDRED * var_x.sqrt() / mean_mark
        if var_x > 0 and var_y > 0:
            discrimination = HUNDRED * cov / (var_x * var_y).sqrt()
        cov_max = _covariance(sorted(xs), sorted(ys))
        if cov_max != 0:
            efficiency = HUNDRED * cov / cov_max
    stats = QuestionStats(
        position=position,
        count=count,
        mean_score=_round(mean_x, Decimal("0.001")),
        max_mark=_round(mean_mark),
        facility_index=_round(facility),
        standard_deviation=_round(sd),
        discrimination_index=_round(discrimination),
        discriminative_efficiency=_round(efficiency),
    )
    return replace(stats, warnings=question_warnings(stats))


def question_statistics(rows: Sequence[AttemptScores]) -> list[QuestionStats]:
    """Per position (in position order), the statistics above over ``rows``, one row per
    graded attempt (each member's attempts all count, as in Moodle's "all attempts")."""
    with localcontext() as context:
        context.prec = 28
        data: dict[int, list[tuple[Decimal, Decimal, Decimal]]] = {}
        for row in rows:
            total = row.total_score()
            for position, slot in row.slots.items():
                data.setdefault(position, [])
                if slot.fraction is None:
                    continue
                x = slot.fraction * slot.mark
                data[position].append((x, total - x, slot.mark))
        return [_position_stats(position, data[position]) for position in sorted(data)]


def score_distribution(percents: Sequence[Decimal], bins: int = 10) -> list[int]:
    """How many attempts fall in each of ``bins`` equal bands of 0–100 %.

    Band i holds [i·w, (i+1)·w) with w = 100 / bins; the last band also holds 100 %.
    Values below 0 count in the first band, above 100 in the last. ``bins`` < 1 raises
    ``ValueError``.
    """
    if bins < 1:
        raise ValueError("bins must be at least 1")
    counts = [0] * bins
    for value in percents:
        index = int(Decimal(value) * bins // HUNDRED)
        counts[min(max(index, 0), bins - 1)] += 1
    return counts


def score_bands(bins: int = 10) -> list[tuple[Decimal, Decimal]]:
    """The (low, high) % bounds of ``score_distribution``'s bands, for labels."""
    if bins < 1:
        raise ValueError("bins must be at least 1")
    width = HUNDRED / bins
    return [(_round(width * i), _round(width * (i + 1))) for i in range(bins)]


def quiz_summary(percents: Sequence[Decimal]) -> QuizSummary:
    """Count, mean, median, sample standard deviation, highest and lowest of the
    attempts' percentages (None where undefined)."""
    if not percents:
        return QuizSummary(0, None, None, None, None, None)
    values = sorted(Decimal(value) for value in percents)
    count = len(values)
    middle = count // 2
    median = values[middle] if count % 2 else (values[middle - 1] + values[middle]) / 2
    sd = _covariance(values, values).sqrt() if count >= 2 else None
    return QuizSummary(
        count=count,
        mean=_round(_mean(values)),
        median=_round(median),
        standard_deviation=_round(sd),
        highest=_round(values[-1]),
        lowest=_round(values[0]),
    )
