"""Reads of study hours. Each number a user sees comes from exactly one of these."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import ExtractMonth

from cms.selectors import units_visible_to

from . import year_totals
from .models import StudyHourEntry, StudySession

User = AbstractBaseUser | AnonymousUser

ZERO = Decimal("0.00")
QUANTUM = Decimal("0.01")


def _hours(value) -> Decimal:
    """A sum of hours, exact to 0.01 (SQLite sums decimals as floats)."""
    return ZERO if value is None else Decimal(value).quantize(QUANTUM)


def _live_entries() -> QuerySet[StudyHourEntry]:
    return StudyHourEntry.objects.filter(superseded_by__isnull=True)


def members_hours(
    *,
    user_ids: Iterable[int] | QuerySet,
    year: int,
    date_from: date | None = None,
    date_to: date | None = None,
    lesson_ids: Iterable[int] | QuerySet | None = None,
    course_ids: Iterable[int] | QuerySet | None = None,
) -> dict[int, Decimal]:
    """Credited study hours of each member in ``year`` (all sources, corrections
    included), optionally within a date range and for some courses (their completions,
    or entries of their lessons). Members without hours are absent.

    A whole year's hours are read from the year totals the database keeps
    (``exams.hours.year_totals``); a part of a year or some courses from the ledger.

    Every figure of a member's hours (their dashboard, record, managers' reports, exports,
    the API, the scheduled mail) is this sum, so they cannot disagree.
    """
    whole_year = (date_from is None or (date_from.month, date_from.day) == (1, 1)) and (
        date_to is None or (date_to.month, date_to.day) == (12, 31)
    )
    if whole_year and lesson_ids is None and course_ids is None:
        return year_totals.year_hours(user_ids=user_ids, year=year)
    entries = _live_entries().filter(year=year, user__in=user_ids)
    if date_from is not None:
        entries = entries.filter(date__gte=date_from)
    if date_to is not None:
        entries = entries.filter(date__lte=date_to)
    if lesson_ids is not None or course_ids is not None:
        entries = entries.filter(
            Q(lesson__in=lesson_ids if lesson_ids is not None else [])
            | Q(course__in=course_ids if course_ids is not None else [])
        )
    rows = entries.values("user").annotate(s=Sum("hours")).values_list("user", "s")
    return {user_id: _hours(total) for user_id, total in rows}


def member_year_hours(*, user: User, year: int) -> Decimal:
    """A member's credited study hours in ``year`` (all sources, corrections included)."""
    if not user.is_authenticated:
        return ZERO
    return members_hours(user_ids=[user.pk], year=year).get(user.pk, ZERO)


def members_hours_by_month(*, user_ids: Iterable[int] | QuerySet, year: int) -> list[Decimal]:
    """Twelve values: the members' credited hours per month of ``year``, summed."""
    months = [ZERO] * 12
    rows = (
        _live_entries()
        .filter(user__in=user_ids, year=year)
        .annotate(month=ExtractMonth("date"))
        .values("month")
        .annotate(s=Sum("hours"))
        .values_list("month", "s")
    )
    for month, hours in rows:
        months[month - 1] = _hours(hours)
    return months


def member_hours_by_month(*, user: User, year: int) -> list[Decimal]:
    """Twelve values: the member's credited hours per month of ``year``."""
    if not user.is_authenticated:
        return [ZERO] * 12
    return members_hours_by_month(user_ids=[user.pk], year=year)


def study_sessions_visible_to(*, user: User) -> QuerySet[StudySession]:
    """Study sessions of the units the user may see (a manager: their subtree)."""
    return StudySession.objects.filter(unit__in=units_visible_to(user=user)).select_related("unit")
