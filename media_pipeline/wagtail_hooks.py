import json

from django.templatetags.static import static
from django.urls import path
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.viewsets.model import ModelViewSet

from . import views
from .forms import LectureCaptionForm
from .models import LectureCaption


@hooks.register("register_admin_urls")
def register_admin_urls():
    return [
        path(
            "lecture-videos/<int:video_id>/retry/",
            views.admin_retry,
            name="media_pipeline_retry",
        ),
    ]


@hooks.register("insert_global_admin_js")
def lecture_upload_and_status_js():
    strings = {
        "too_large": _("This file is larger than the upload limit of %(size)s."),
        "uploading": _("Uploading… %(percent)s%%"),
        "processing": _("Upload complete, checking the file…"),
        "failed": _("The upload failed; check your connection and try again."),
    }
    return format_html(
        '<script defer src="{}" data-status-url="/api/media/videos/status/" data-i18n="{}">'
        "</script>",
        static("media_pipeline/admin.js"),
        json.dumps(strings),
    )


class LectureCaptionViewSet(ModelViewSet):
    model = LectureCaption
    form_fields = ["video", "language", "label", "file"]
    icon = "media"
    menu_label = gettext_lazy("Lecture captions")
    menu_order = 310
    add_to_admin_menu = True
    list_display = ["video", "language", "label", "created_at"]
    list_filter = ["language"]
    search_fields = ["video__title", "label"]
    name = "lecture_captions"

    def get_form_class(self, for_update=False):
        return LectureCaptionForm


@hooks.register("register_admin_viewset")
def register_caption_viewset():
    return LectureCaptionViewSet()
