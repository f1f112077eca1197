"""Celery tasks of the reports: thin wrappers around services."""

from celery import shared_task

from . import exports, subscriptions


@shared_task(name="exams.reports.tasks.export_task", time_limit=30 * 60, soft_time_limit=29 * 60)
def export_task(export_id: int) -> str:
    """Make the file of one export (queued by ``exports.export_create``)."""
    return exports.export_run(export_id=export_id)


@shared_task(
    name="exams.reports.tasks.requeue_waiting_report_exports_task",
    time_limit=5 * 60,
    soft_time_limit=4 * 60,
)
def requeue_waiting_report_exports_task() -> list[int]:
    """Send again exports whose message never reached a worker (beat: every 5 minutes)."""
    return exports.exports_requeue_waiting()


@shared_task(
    name="exams.reports.tasks.remove_expired_report_exports_task",
    time_limit=10 * 60,
    soft_time_limit=9 * 60,
)
def remove_expired_report_exports_task() -> int:
    """Remove expired export files (beat: hourly)."""
    return exports.exports_remove_expired()


@shared_task(
    name="exams.reports.tasks.send_report_subscriptions_task",
    time_limit=60 * 60,
    soft_time_limit=59 * 60,
)
def send_report_subscriptions_task() -> dict[str, int]:
    """Mail every subscription due for its current week or month (beat: hourly;
    running it twice, or twice at once, sends each period once)."""
    return subscriptions.subscriptions_send_due().as_dict()
