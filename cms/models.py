from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.validators import MinValueValidator
from django.db import models
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from modelcluster.fields import ParentalManyToManyField
from treebeard.mp_tree import MP_Node
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField, StreamField
from wagtail.models import AbstractGroupApprovalTask, Page
from wagtail.search import index

from .blocks import HomeBodyBlock
from .home_banner import banner_response
from .home_panels import member_panels
from .notice_forms import NoticePageForm
from .notice_review import NoticeReviewMixin


class HomePage(RoutablePageMixin, Page):
    """The portal: blocks editors arrange, and for a signed-in member their own strip
    (panels that higher layers register as ``cms.home_panels.MEMBER_PANELS_HOOK``)."""

    intro = RichTextField(_("introduction"), blank=True)
    body = StreamField(HomeBodyBlock(), verbose_name=_("body"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    max_count = 1

    class Meta:
        verbose_name = _("home page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["member_panels"] = member_panels(request=request)
        context["strip_in_body"] = any(block.block_type == "member_strip" for block in self.body)
        return context

    @path("banner/<int:image_id>/", name="banner")
    def banner(self, request, image_id: int):
        """A banner of this page, to anyone who may see the page: image renditions are
        otherwise served only to a course's audience (``courses_files:image``)."""
        return banner_response(page=self, image_id=image_id)


class NoticeIndexPage(Page):
    """The notices: members see those meant for them (``cms.notices``)."""

    intro = RichTextField(_("introduction"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.NoticePage"]
    max_count = 1

    class Meta:
        verbose_name = _("notice section")
        verbose_name_plural = _("notice sections")

    def get_context(self, request, *args, **kwargs):
        from .notices import notices_visible_to

        context = super().get_context(request, *args, **kwargs)
        context["notices"] = notices_visible_to(user=request.user)[:50]
        return context


class NoticePage(Page):
    """A notice for everyone, or for the members of some units and the units below them."""

    date = models.DateField(_("date"), default=timezone.localdate)
    pinned = models.BooleanField(
        _("pinned"), default=False, help_text=_("Pinned notices come first.")
    )
    expires = models.DateField(
        _("expires"),
        null=True,
        blank=True,
        help_text=_("From the day after this date members no longer see the notice."),
    )
    body = RichTextField(_("body"))
    audience_units = ParentalManyToManyField(
        "cms.Unit",
        verbose_name=_("audience units"),
        blank=True,
        related_name="+",
        help_text=_(
            "Members of these units and of every unit below them see the notice. "
            "Leave empty for everyone (administrators only)."
        ),
    )

    base_form_class = NoticePageForm
    content_panels = [
        *Page.content_panels,
        MultiFieldPanel(
            [FieldPanel("date"), FieldPanel("expires"), FieldPanel("pinned")],
            heading=pgettext_lazy("notice", "Publication"),
        ),
        FieldPanel("body"),
        FieldPanel("audience_units", widget=forms.CheckboxSelectMultiple),
    ]
    search_fields = [*Page.search_fields, index.SearchField("body")]
    parent_page_types = ["cms.NoticeIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-pinned", "-date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires__isnull=True) | models.Q(expires__gte=models.F("date")),
                name="notice_expires_not_before_date",
            )
        ]

    def serve(self, request, *args, **kwargs):
        from .notices import notice_visible_to

        if not notice_visible_to(user=request.user, notice=self):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            raise Http404
        return super().serve(request, *args, **kwargs)

    def serve_preview(self, request, mode_name):
        """Editors preview a notice whatever its audience or dates, but only a notice of
        their own subtree (a draft of another branch's is not theirs to read)."""
        from .notices import notice_in_scope

        if not notice_in_scope(user=request.user, notice=self):
            raise Http404
        return super().serve(request)


class NoticeReviewTask(NoticeReviewMixin, AbstractGroupApprovalTask):
    """The step of the notice review: a manager above every unit the notice is for, who
    did not write it, approves; the approval publishes it (nobody holds the publish
    permission on notices)."""

    class Meta:
        verbose_name = _("notice review task")
        verbose_name_plural = _("notice review tasks")


class Unit(index.Indexed, MP_Node):
    """A node of the organisation tree: a committee, a district, a branch, …

    Managers of a unit see that unit and everything below it.
    """

    name = models.CharField(_("name"), max_length=200)
    code = models.SlugField(
        _("code"),
        max_length=50,
        unique=True,
        allow_unicode=False,
        help_text=_("A short unique code, used by imports (letters, digits, - and _)."),
    )
    yearly_target_hours = models.DecimalField(
        _("yearly study-hour target"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Leave blank to inherit the parent unit's target."),
    )

    node_order_by = ["code"]

    search_fields = [
        index.SearchField("name"),
        index.AutocompleteField("name"),
        index.SearchField("code"),
        index.FilterField("depth"),
    ]

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(yearly_target_hours__isnull=True)
                | models.Q(yearly_target_hours__gte=0),
                name="unit_target_not_negative",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def indented_name(self) -> str:
        return "— " * (self.depth - 1) + self.name


class MemberProfile(index.Indexed, models.Model):
    """Links a user to exactly one unit. A manager manages the subtree of this unit."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="profile",
        verbose_name=_("user"),
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="members", verbose_name=_("unit")
    )
    full_name = models.CharField(_("full name"), max_length=150)
    phone = models.CharField(_("phone"), max_length=32, blank=True)

    search_fields = [
        index.SearchField("full_name"),
        index.AutocompleteField("full_name"),
        index.FilterField("unit"),
        index.RelatedFields("user", [index.SearchField("username"), index.SearchField("email")]),
    ]

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["unit__path", "full_name"]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.user.username})"


class WorkerPing(models.Model):
    """Written by a worker in answer to ``check_workers``: proof that a task really ran."""

    token = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.hostname} {self.created_at:%Y-%m-%d %H:%M:%S}"
