from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtailmedia.models import AbstractMedia


class LectureVideo(AbstractMedia):
    """A lecture as uploaded by a trainer, and the state of its transcoding.

    It is wagtailmedia's media model for this site (``WAGTAILMEDIA["MEDIA_MODEL"]``),
    so wagtailmedia's chooser and blocks work with it. ``type`` is ``audio`` for an
    audio-only lecture (MP3/M4A), ``video`` otherwise; ``width``/``height``/``duration``
    describe the source as probed.
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

    # The ladder in storage: every file of one successful transcode lives under
    # ``rendition_dir``; ``renditions`` describes it (see ``ladder.Manifest``).
    rendition_dir = models.CharField(_("rendition folder"), max_length=255, blank=True)
    renditions = models.JSONField(_("renditions"), default=dict, blank=True)
    transcoded_at = models.DateTimeField(_("transcoded at"), null=True, blank=True)

    # The concurrency guard (a lease): one transcode at a time, owned by ``lock_token``,
    # run by ``lock_holder``, alive while ``heartbeat_at`` is recent and its holder lives.
    lock_token = models.CharField(max_length=64, blank=True, editable=False)
    # ``host:pid:start`` of the process running it (see ``lease.py``).
    lock_holder = models.CharField(max_length=255, blank=True, editable=False)
    heartbeat_at = models.DateTimeField(null=True, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0, editable=False)

    admin_form_fields = ("title", "file", "collection", "tags")

    class Meta(AbstractMedia.Meta):
        verbose_name = _("lecture video")
        verbose_name_plural = _("lecture videos")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress_percent__lte=100), name="lecture_progress_max_100"
            )
        ]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="lecture_status_heartbeat")]

    def clean(self):
        # Skip wagtailmedia's check of the name's extension: the probe decides by the
        # content what is accepted (a .ts or .flv is fine, a playlist named .mp4 is not).
        super(AbstractMedia, self).clean()
        if not self.duration:
            self.duration = 0

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY and bool(self.rendition_dir)


def caption_upload_to(instance: "LectureCaption", filename: str) -> str:
    return f"lecture_captions/{instance.video_id}/{instance.language}.vtt"


class LectureCaption(models.Model):
    """A WebVTT caption track of a lecture in one language (SRT uploads are converted)."""

    video = models.ForeignKey(
        LectureVideo, on_delete=models.CASCADE, related_name="captions", verbose_name=_("video")
    )
    language = models.CharField(
        _("language"),
        max_length=16,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )
    label = models.CharField(pgettext_lazy("caption", "label"), max_length=64, blank=True)
    file = models.FileField(_("caption file"), upload_to=caption_upload_to)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("caption")
        verbose_name_plural = _("captions")
        ordering = ["video", "language"]
        constraints = [
            models.UniqueConstraint(fields=["video", "language"], name="caption_one_per_language")
        ]

    def __str__(self) -> str:
        return f"{self.video} · {self.display_label}"

    @property
    def display_label(self) -> str:
        return self.label or str(self.get_language_display())
