from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index


class HomePage(Page):
    intro = RichTextField(_("introduction"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    max_count = 1

    class Meta:
        verbose_name = _("home page")


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
