from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediaPipelineConfig(AppConfig):
    name = "media_pipeline"
    verbose_name = _("Lecture media")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db import transaction
        from django.db.models.signals import post_delete

        from .models import LectureVideo
        from .services import video_delete_renditions

        def delete_renditions(sender, instance, **kwargs):
            video_id = instance.pk
            transaction.on_commit(lambda: video_delete_renditions(video_id=video_id))

        post_delete.connect(
            delete_renditions,
            sender=LectureVideo,
            weak=False,
            dispatch_uid="lecture_delete_renditions",
        )
