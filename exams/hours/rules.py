"""The study-hour rules in force, and the arithmetic that turns engaged time into hours."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import ROUND_DOWN, Decimal

from django.db import connection, models
from wagtail.models import Site

from cms.prepared_statements import prepared_cursor

from .models import StudyHourRules

HOURS_QUANTUM = Decimal("0.01")
SESSION_QUANTUM = Decimal("0.1")

_FIELDS = (
    "credit_course_completion",
    "credit_engaged_time",
    "credit_quiz_pass",
    "minutes_per_hour",
    "daily_cap_hours",
    "study_session_max_hours",
    "course_credit_max_hours",
)


@dataclass(frozen=True)
class Rules:
    credit_course_completion: bool = True
    credit_engaged_time: bool = False
    credit_quiz_pass: bool = True
    minutes_per_hour: int = 45
    daily_cap_hours: Decimal | None = None
    study_session_max_hours: Decimal = Decimal("8.0")
    course_credit_max_hours: Decimal = Decimal("40.0")

    def engaged_params(self) -> dict:
        cap = self.daily_cap_hours
        return {
            "minutes_per_hour": self.minutes_per_hour,
            "daily_cap_hours": str(cap) if cap else None,
        }

    def as_dict(self) -> dict:
        data = asdict(self)
        for name, value in data.items():
            if isinstance(value, Decimal):
                data[name] = str(value)
        data["daily_cap_hours"] = str(self.daily_cap_hours) if self.daily_cap_hours else None
        return data

    def session_credit(self, *, duration_minutes: int) -> Decimal:
        """A study session's hours: its duration in study hours (``minutes_per_hour``),
        rounded down to 0.1 h, at most ``study_session_max_hours``."""
        return session_credit_hours(
            duration_minutes=duration_minutes,
            minutes_per_hour=self.minutes_per_hour,
            ceiling=self.study_session_max_hours,
        )


def _rules_sql() -> str:
    q = connection.ops.quote_name
    columns = ", ".join(f"r.{q(name)}" for name in _FIELDS)
    return (
        f"SELECT {columns} FROM {q(StudyHourRules._meta.db_table)} r "
        f"JOIN {q(Site._meta.db_table)} s ON s.id = r.site_id "
        "WHERE s.is_default_site ORDER BY r.id LIMIT 1"
    )


def _from_db(name: str, value):
    field = StudyHourRules._meta.get_field(name)
    if value is None:
        return None
    if isinstance(field, models.BooleanField):
        return bool(value)
    if isinstance(field, models.DecimalField):
        return Decimal(str(value)).quantize(Decimal(1).scaleb(-field.decimal_places))
    return int(value)


def rules_current() -> Rules:
    """The rules of the default site: read on every call, never cached, so never stale.

    One prepared statement rather than an ORM query: every crediting heartbeat reads
    the rules (the ledger decides whether engaged time credits hours), and compiling the
    ORM query was a quarter of a beat's Python time (bench/README.md, "heartbeats").
    """
    with prepared_cursor() as cursor:
        cursor.execute(_rules_sql())
        row = cursor.fetchone()
    if row is None:
        return Rules()
    return Rules(**{name: _from_db(name, value) for name, value in zip(_FIELDS, row, strict=True)})


def session_credit_hours(
    *, duration_minutes: int, minutes_per_hour: int, ceiling: Decimal
) -> Decimal:
    """Hours for a study session of ``duration_minutes``: rounded down to 0.1 h, capped."""
    if minutes_per_hour <= 0 or duration_minutes <= 0:
        return Decimal("0.0")
    hours = (Decimal(duration_minutes) / Decimal(minutes_per_hour)).quantize(
        SESSION_QUANTUM, rounding=ROUND_DOWN
    )
    return min(hours, Decimal(ceiling).quantize(SESSION_QUANTUM, rounding=ROUND_DOWN))


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
