"""StreamField blocks of a lesson body. Each renders with ``templates/blocks/<thing>.html``."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageChooserBlock
from wagtailmedia.blocks import AbstractMediaChooserBlock

from media_pipeline.selectors import video_playback


class LectureVideoChooserBlock(AbstractMediaChooserBlock):
    """Chooses a ``media_pipeline.LectureVideo`` (wagtailmedia's media model)."""

    def render_basic(self, value, context=None) -> str:
        return ""

    class Meta:
        icon = "media"


class RichTextBlock(blocks.RichTextBlock):
    class Meta:
        template = "blocks/rich_text.html"
        label = _("Text")
        icon = "pilcrow"


class LectureVideoBlock(blocks.StructBlock):
    video = LectureVideoChooserBlock(label=_("lecture video"))
    caption = blocks.CharBlock(label=_("caption"), required=False, max_length=200)

    def get_context(self, value, parent_context: dict | None = None) -> dict[str, Any]:
        context = super().get_context(value, parent_context=parent_context)
        context["playback"] = None
        video = value.get("video")
        request = (parent_context or {}).get("request")
        if video is None or request is None:
            return context
        context["playback"] = video_playback(user=request.user, video=video)
        return context

    class Meta:
        template = "blocks/lecture_video.html"
        label = _("Lecture video")
        icon = "media"


class ImageBlock(blocks.StructBlock):
    image = ImageChooserBlock(label=_("image"))
    caption = blocks.CharBlock(label=_("caption"), required=False, max_length=200)

    class Meta:
        template = "blocks/image.html"
        label = _("Image")
        icon = "image"


class DocumentBlock(blocks.StructBlock):
    document = DocumentChooserBlock(label=_("document"))
    title = blocks.CharBlock(
        label=_("link text"),
        required=False,
        max_length=200,
        help_text=_("Leave blank to use the document's title."),
    )

    class Meta:
        template = "blocks/document.html"
        label = _("Downloadable document")
        icon = "doc-full"


class CalloutBlock(blocks.StructBlock):
    kind = blocks.ChoiceBlock(
        label=_("kind"),
        choices=[("note", _("Note")), ("tip", _("Tip")), ("warning", _("Warning"))],
        default="note",
    )
    text = blocks.RichTextBlock(label=_("text"), features=["bold", "italic", "link", "ul"])

    class Meta:
        template = "blocks/callout.html"
        label = _("Callout")
        icon = "warning"


class QuoteBlock(blocks.StructBlock):
    quote = blocks.TextBlock(label=_("quote"))
    attribution = blocks.CharBlock(label=_("attribution"), required=False, max_length=200)

    class Meta:
        template = "blocks/quote.html"
        label = _("Quote")
        icon = "openquote"


class LessonBodyBlock(blocks.StreamBlock):
    text = RichTextBlock()
    lecture_video = LectureVideoBlock()
    image = ImageBlock()
    document = DocumentBlock()
    callout = CalloutBlock()
    quote = QuoteBlock()
