"""Celery tasks of the hours app: thin wrappers around services."""

from celery import shared_task

from . import year_totals


@shared_task(name="exams.hours.tasks.compact_year_totals_task", time_limit=300, soft_time_limit=280)
def compact_year_totals_task() -> int:
    """Fold the pending year-total deltas into the totals (beat: every minute)."""
    return year_totals.compact()
