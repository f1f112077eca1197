from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HoursConfig(AppConfig):
    """Study hours: rules, the ledger and its recomputation, study sessions."""

    name = "exams.hours"
    label = "hours"
    verbose_name = _("Study hours")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_save, pre_save

        from courses.models import CoursePage
        from courses.signals import course_completed
        from exams.quizzes.signals import quiz_result_changed
        from exams.tracking.signals import engaged_time_credited

        from .models import StudyHourRules
        from .services import audit, ledger

        pre_save.connect(audit.rules_on_pre_save, sender=StudyHourRules, dispatch_uid="hours_rules")
        post_save.connect(
            audit.rules_on_post_save, sender=StudyHourRules, dispatch_uid="hours_rules"
        )
        pre_save.connect(audit.course_on_pre_save, sender=CoursePage, dispatch_uid="hours_course")
        post_save.connect(audit.course_on_post_save, sender=CoursePage, dispatch_uid="hours_course")

        course_completed.connect(ledger.ledger_on_course_completed, dispatch_uid="hours_course")
        engaged_time_credited.connect(
            ledger.ledger_on_engaged_time_credited, dispatch_uid="hours_engaged"
        )
        quiz_result_changed.connect(ledger.ledger_on_quiz_result_changed, dispatch_uid="hours_quiz")
