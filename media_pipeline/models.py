from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtailmedia.models import AbstractMedia


class LectureVideo(AbstractMedia):
    """A lecture as uploaded by a trainer, and the state of its transcoding.

    It is wagtailmedia's media model for this site (``WAGTAILMEDIA["MEDIA_MODEL"]``),
    so wagtailmedia's chooser and blocks work with it.
    """

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        PROBING = "probing", _("Probing")
        TRANSCODING = "transcoding", _("Transcoding")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.UPLOADED
    )
    failure_reason = models.TextField(_("failure reason"), blank=True)
    progress_percent = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    source_fps = models.FloatField(_("source frame rate"), null=True, blank=True)
    source_video_codec = models.CharField(_("source video codec"), max_length=32, blank=True)
    source_audio_codec = models.CharField(_("source audio codec"), max_length=32, blank=True)

    admin_form_fields = ("title", "file", "collection", "tags")

    class Meta(AbstractMedia.Meta):
        verbose_name = _("lecture video")
        verbose_name_plural = _("lecture videos")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress_percent__lte=100), name="lecture_progress_max_100"
            )
        ]
