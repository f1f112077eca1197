from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrackingConfig(AppConfig):
    """The watch log: watch sessions, beats, the crediting rules, the player's settings."""

    name = "exams.tracking"
    label = "tracking"
    verbose_name = _("Watch log")
    default_auto_field = "django.db.models.BigAutoField"
