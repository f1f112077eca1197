import time
import uuid

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cms.models import WorkerPing
from cms.tasks import worker_ping_task


class Command(BaseCommand):
    help = "Send a ping task through the broker and wait until a Celery worker has run it."

    def add_arguments(self, parser):
        parser.add_argument(
            "--timeout", type=float, default=30, help="seconds to wait (default 30)"
        )

    def handle(self, *args, timeout, **options):
        if worker_ping_task.app.conf.task_always_eager:
            self.stderr.write(
                _("Tasks run in-process (CELERY_TASK_ALWAYS_EAGER): no worker is checked.")
            )
        token = uuid.uuid4().hex
        try:
            worker_ping_task.delay(token)
        except Exception as error:  # the broker may be down: say so, do not trace back
            raise CommandError(
                _("Could not send the ping task: %(error)s") % {"error": error}
            ) from error
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ping = WorkerPing.objects.filter(token=token).first()
            if ping is not None:
                WorkerPing.objects.filter(pk=ping.pk).delete()
                self.stdout.write(
                    self.style.SUCCESS(_("OK: worker %(host)s answered.") % {"host": ping.hostname})
                )
                return
            time.sleep(0.25)
        raise CommandError(_("No worker answered within %(seconds)g s.") % {"seconds": timeout})
