from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExamsConfig(AppConfig):
    name = "exams"
    verbose_name = _("Exams and study hours")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from .models import StudyHourRules
        from .services.ledger import rules_clear_cache

        post_save.connect(rules_clear_cache, sender=StudyHourRules, dispatch_uid="exams_rules")
