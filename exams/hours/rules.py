"""The study-hour rules in force, and the arithmetic that turns engaged time into hours."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import ROUND_DOWN, Decimal

from .models import StudyHourRules

HOURS_QUANTUM = Decimal("0.01")


@dataclass(frozen=True)
class Rules:
    credit_course_completion: bool = True
    credit_engaged_time: bool = False
    minutes_per_hour: int = 45
    daily_cap_hours: Decimal | None = None

    def engaged_params(self) -> dict:
        cap = self.daily_cap_hours
        return {
            "minutes_per_hour": self.minutes_per_hour,
            "daily_cap_hours": str(cap) if cap else None,
        }

    def as_dict(self) -> dict:
        data = asdict(self)
        data["daily_cap_hours"] = str(self.daily_cap_hours) if self.daily_cap_hours else None
        return data


def rules_current() -> Rules:
    """The rules of the default site (one query; not cached, so never stale)."""
    row = (
        StudyHourRules.objects.filter(site__is_default_site=True)
        .values(
            "credit_course_completion", "credit_engaged_time", "minutes_per_hour", "daily_cap_hours"
        )
        .first()
    )
    return Rules() if row is None else Rules(**row)


def engaged_hours(
    *, seconds: float, minutes_per_hour: int, daily_cap: Decimal | None = None
) -> Decimal:
    """Study hours for a day's engaged seconds, rounded down to 0.01 h, capped per day."""
    if minutes_per_hour <= 0 or seconds <= 0:
        return Decimal("0.00")
    # Work in whole milliseconds so that float noise never moves a rounding boundary.
    millis = Decimal(round(seconds * 1000))
    hours = (millis / Decimal(minutes_per_hour * 60 * 1000)).quantize(
        HOURS_QUANTUM, rounding=ROUND_DOWN
    )
    if daily_cap is not None and hours > daily_cap:
        hours = daily_cap.quantize(HOURS_QUANTUM, rounding=ROUND_DOWN)
    return hours
