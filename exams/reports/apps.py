from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """Training reports for managers: figures, charts, exports and scheduled mail."""

    name = "exams.reports"
    label = "reports"
    verbose_name = _("Training reports")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The course and quiz reports register their tables (exports, mail) on import.
        from . import course_report, quiz_report  # noqa: F401
