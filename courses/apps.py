from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = _("Courses")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cms.signals import members_joined_units

        from .media_access import register_media_access
        from .services import enrolments_on_members_joined

        members_joined_units.connect(enrolments_on_members_joined, dispatch_uid="courses_enrol")
        register_media_access()
