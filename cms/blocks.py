"""The blocks editors arrange on the home page."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock

from .home_panels import featured_courses

#: The banner's one rendition: small WebP, sharp enough at 360 px (phones, 2× screens) and
#: acceptable stretched on a desktop.
BANNER_FILTER = "fill-720x240|format-webp|webpquality-60"
BANNER_SIZE = (720, 240)


class BannerBlock(blocks.StructBlock):
    image = ImageChooserBlock(label=_("image"))
    heading = blocks.CharBlock(label=_("heading"), max_length=80)
    text = blocks.TextBlock(label=_("text"), required=False, max_length=300)
    link = blocks.PageChooserBlock(label=pgettext_lazy("home banner", "link"), required=False)

    class Meta:
        icon = "image"
        label = _("Banner")
        template = "blocks/banner.html"

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        page = (parent_context or {}).get("page")
        image = value.get("image")
        if page is not None and image is not None and hasattr(page, "reverse_subpage"):
            context["banner_url"] = page.url + page.reverse_subpage(
                "banner", kwargs={"image_id": image.pk}
            )
            context["banner_width"], context["banner_height"] = BANNER_SIZE
        return context


class FeaturedCoursesBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("heading"), max_length=80)
    courses = blocks.ListBlock(
        # Named, not imported: courses is a layer above cms.
        blocks.PageChooserBlock(page_type="courses.CoursePage", label=_("course")),
        label=_("courses"),
        required=False,
        help_text=_(
            "Leave empty to show the newest courses. Each visitor sees only those open to them."
        ),
    )
    count = blocks.IntegerBlock(label=_("how many at most"), default=4, min_value=1, max_value=12)

    class Meta:
        icon = "list-ul"
        label = _("Featured courses")
        template = "blocks/featured_courses.html"

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        request = (parent_context or {}).get("request")
        chosen = [page.pk for page in value.get("courses") or [] if page is not None]
        context["featured"] = (
            featured_courses(request=request, page_ids=chosen or None, limit=value["count"])
            if request is not None
            else None
        )
        return context


class NoticesBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("heading"), max_length=80)
    count = blocks.IntegerBlock(label=_("how many at most"), default=5, min_value=1, max_value=20)

    class Meta:
        icon = "info-circle"
        label = _("Latest notices")
        template = "blocks/notices.html"

    def get_context(self, value, parent_context=None):
        # cms.models imports these blocks: the modules that read models come in here.
        from .models import NoticeIndexPage
        from .notices import notices_visible_to

        context = super().get_context(value, parent_context=parent_context)
        request = (parent_context or {}).get("request")
        user = getattr(request, "user", None)
        context["notices"] = (
            list(notices_visible_to(user=user)[: value["count"]]) if user is not None else []
        )
        context["notice_index"] = NoticeIndexPage.objects.live().first()
        return context


class MemberStripBlock(blocks.StaticBlock):
    """Where the signed-in member's strip goes (a sign-in for visitors); without this
    block, the strip comes before the body."""

    class Meta:
        icon = "user"
        label = _("Member's strip")
        admin_text = _(
            "Signed-in members see their study hours, courses due and where to "
            "continue here; visitors see a sign-in."
        )
        template = "blocks/member_strip.html"


class HomeBodyBlock(blocks.StreamBlock):
    banner = BannerBlock()
    member_strip = MemberStripBlock()
    featured_courses = FeaturedCoursesBlock()
    notices = NoticesBlock()
    text = blocks.RichTextBlock(
        label=_("text"), features=["h2", "h3", "bold", "italic", "link", "ol", "ul"]
    )
