"""Celery tasks of the quizzes app: thin wrappers around services."""

from celery import shared_task

from .services.attempts import attempts_close_overdue


@shared_task(
    name="exams.quizzes.tasks.close_overdue_attempts_task", time_limit=120, soft_time_limit=100
)
def close_overdue_attempts_task() -> int:
    """Submit the attempts whose time ran out or whose quiz closed (beat: every minute)."""
    return attempts_close_overdue()
