"""Admin forms: the lecture upload (wagtailmedia's form, with probing) and captions."""

from __future__ import annotations

import os
import tempfile

from django import forms
from django.conf import settings
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtailmedia.forms import BaseMediaForm

from . import services
from .models import LectureCaption
from .probe import ProbeError, ProbeResult, probe_media

VIDEO_ACCEPT = ".mp4,.m4v,.mov,.mkv,.webm,.avi,.flv,.ts,.3gp,.mp3,.m4a,.aac,video/*,audio/*"


def upload_max_bytes() -> int:
    return int(getattr(settings, "MEDIA_UPLOAD_MAX_BYTES", 4 * 1024**3))


def probe_uploaded_file(uploaded) -> ProbeResult:
    """Probe an uploaded file where it lies (or from a private temporary copy)."""
    path = getattr(uploaded, "temporary_file_path", None)
    if path:
        return probe_media(path())
    suffix = os.path.splitext(uploaded.name or "")[1][:8]
    with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
        for chunk in uploaded.chunks():
            tmp.write(chunk)
        tmp.flush()
        uploaded.seek(0)
        return probe_media(tmp.name)


class LectureVideoForm(BaseMediaForm):
    """wagtailmedia's upload/edit form, refusing what the transcoder would refuse."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._probe: ProbeResult | None = None
        if "file" in self.fields:
            widget = self.fields["file"].widget
            widget.attrs["accept"] = VIDEO_ACCEPT
            widget.attrs["data-max-bytes"] = str(upload_max_bytes())
            self.fields["file"].help_text = _(
                "A video (MP4, MOV, MKV, WebM, AVI, FLV, MPEG-TS) or an audio lecture "
                "(MP3, M4A), at most %(size)s."
            ) % {"size": filesizeformat(upload_max_bytes())}

    def clean_file(self):
        uploaded = self.cleaned_data.get("file")
        if not uploaded or "file" not in self.changed_data:
            return uploaded
        limit = upload_max_bytes()
        if uploaded.size > limit:
            raise forms.ValidationError(
                _("The file is %(size)s; the largest upload accepted is %(limit)s.")
                % {"size": filesizeformat(uploaded.size), "limit": filesizeformat(limit)},
                code="file_too_large",
            )
        try:
            self._probe = probe_uploaded_file(uploaded)
        except ProbeError as exc:
            raise forms.ValidationError(str(exc), code="bad_media") from exc
        services.video_apply_probe(video=self.instance, probe=self._probe)
        return uploaded

    def save(self, commit: bool = True):
        new_file = "file" in self.changed_data
        instance = super().save(commit=commit)
        if commit and new_file:
            services.video_transcode_request(video=instance, force=True)
        return instance


class LectureCaptionForm(WagtailAdminModelForm):
    """A caption track; SRT is converted to WebVTT on upload."""

    class Meta:
        model = LectureCaption
        fields = ["video", "language", "label", "file"]

    def clean_file(self):
        uploaded = self.cleaned_data.get("file")
        if not uploaded or "file" not in self.changed_data:
            return uploaded
        if uploaded.size > 2 * 1024 * 1024:
            raise forms.ValidationError(_("A caption file is at most 2 MB."))
        try:
            vtt = services.caption_text_to_vtt(uploaded.read())
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return ContentFile(vtt.encode("utf-8"), name="captions.vtt")
