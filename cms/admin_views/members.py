"""Member profiles in the Wagtail admin."""

import django_filters
from django.contrib import messages
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic import history, usage
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import HeaderButton

from cms.forms import ROLE_CHOICES, MemberCreateForm, MemberProfileForm
from cms.models import MemberProfile
from cms.selectors import member_login_locked, members_visible_to
from cms.services import member_login_unlock

from .imports import user_may_import
from .scoping import ScopedListingMixin, ScopedObjectListingMixin, ScopedObjectMixin
from .units import UnitChoiceFilter


class MemberFilterSet(WagtailFilterSet):
    unit = UnitChoiceFilter(label=_("Unit (with its sub-units)"), method="filter_unit")
    role = django_filters.ChoiceFilter(
        label=_("Role"), choices=ROLE_CHOICES, field_name="user__groups__name"
    )

    class Meta:
        model = MemberProfile
        fields = ["unit", "role"]

    def filter_unit(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(unit__path__startswith=value.path)


class MemberScope:
    def scoped_queryset(self) -> QuerySet[MemberProfile]:
        return (
            members_visible_to(user=self.request.user)
            .select_related("user", "unit")
            .prefetch_related(Prefetch("user__groups", queryset=Group.objects.order_by("name")))
        )


def _roles(profile: MemberProfile) -> str:
    labels = dict(ROLE_CHOICES)
    return ", ".join(str(labels.get(group.name, group.name)) for group in profile.user.groups.all())


class MemberIndexView(MemberScope, ScopedListingMixin, generic.IndexView):
    @cached_property
    def header_buttons(self):
        buttons = list(super().header_buttons)
        if user_may_import(self.request.user):
            buttons.append(
                HeaderButton(
                    _("Import members"), url=reverse("cms_member_import"), icon_name="upload"
                )
            )
        return buttons

    @cached_property
    def columns(self):
        title_column = self._get_title_column_class(TitleColumn)
        return [
            title_column(
                "full_name",
                label=_("Full name"),
                get_url=self.get_edit_url,
                sort_key="full_name",
            ),
            Column(
                "username", label=_("Username"), accessor="user.username", sort_key="user__username"
            ),
            Column("unit", label=_("Unit"), accessor="unit.name", sort_key="unit__path"),
            Column("role", label=_("Role"), accessor=_roles),
            Column("email", label=_("E-mail"), accessor="user.email"),
            Column("phone", label=_("Phone"), accessor="phone"),
        ]

    def get_delete_url(self, instance):
        return None  # see MemberDeleteView


class MemberEditView(MemberScope, ScopedObjectMixin, generic.EditView):
    @cached_property
    def can_delete(self) -> bool:
        return False

    @cached_property
    def header_buttons(self):
        buttons = list(super().header_buttons)
        if member_login_locked(profile=self.object):
            buttons.append(
                HeaderButton(
                    _("Unlock login"),
                    url=reverse("members:unlock", args=[self.object.pk]),
                    icon_name="lock-open",
                )
            )
        return buttons


class MemberUnlockView(
    MemberScope, PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView
):
    """Lift the lockout of a member after too many failed logins (GET: confirm, POST: do).

    Only for those who may edit members, and only within their scope (else 404).
    """

    model = MemberProfile
    permission_required = "change"
    template_name = "cms/admin/member_unlock.html"
    page_title = _("Unlock login")
    header_icon = "lock-open"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.profile = get_object_or_404(self.scoped_queryset(), pk=kwargs["pk"])

    def get_page_subtitle(self):
        return self.profile.full_name

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            profile=self.profile, locked=member_login_locked(profile=self.profile), **kwargs
        )

    def post(self, request, *args, **kwargs):
        member_login_unlock(profile=self.profile, by=request.user)
        messages.success(
            request,
            gettext("%(name)s can log in again.") % {"name": self.profile.full_name},
        )
        return redirect("members:edit", self.profile.pk)


class MemberDeleteView(MemberScope, ScopedObjectMixin, generic.DeleteView):
    """Refused: a profile without its user (or a user without a unit) breaks the tree.

    Accounts are deactivated in Wagtail's Users admin; their study records stay.
    """

    def dispatch(self, request, *args, **kwargs):
        raise PermissionDenied


class MemberHistoryView(MemberScope, ScopedObjectListingMixin, history.HistoryView):
    pass


class MemberUsageView(MemberScope, ScopedObjectListingMixin, usage.UsageView):
    pass


class MemberViewSet(ModelViewSet):
    model = MemberProfile
    name = "members"
    icon = "user"
    menu_label = _("Members")
    index_view_class = MemberIndexView
    edit_view_class = MemberEditView
    delete_view_class = MemberDeleteView
    history_view_class = MemberHistoryView
    usage_view_class = MemberUsageView
    filterset_class = MemberFilterSet
    ordering = ["unit__path", "full_name", "pk"]
    search_fields = ["full_name", "user__username", "user__email"]
    search_backend_name = None
    copy_view_enabled = False
    add_to_reference_index = False

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("unlock/<int:pk>/", MemberUnlockView.as_view(), name="unlock"),
        ]

    def get_form_class(self, for_update: bool = False):
        return MemberProfileForm if for_update else MemberCreateForm
