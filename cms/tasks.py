import socket

from celery import shared_task

from .models import WorkerPing


@shared_task(name="cms.tasks.worker_ping_task", time_limit=30, soft_time_limit=25)
def worker_ping_task(token: str) -> None:
    WorkerPing.objects.get_or_create(token=token, defaults={"hostname": socket.gethostname()})
