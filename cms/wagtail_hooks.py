from django.http import Http404
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.base import ViewSetGroup

from . import services
from .admin_views import imports
from .admin_views.audit import log_entry_models_scope
from .admin_views.members import MemberViewSet
from .admin_views.units import UnitViewSet
from .models import NoticePage
from .notice_admin_scope import page_permission_policy_scope
from .notices import notice_ids_out_of_scope, notice_in_scope

ORGANISATION_MENU_HOOK = "register_organisation_menu_item"

page_permission_policy_scope()  # first: Wagtail refuses a policy after a fallback lookup


class OrganisationViewSetGroup(ViewSetGroup):
    menu_label = _("Units / Members")
    menu_icon = "group"
    menu_order = 250
    items = (UnitViewSet, MemberViewSet)
    submenu_hook = ORGANISATION_MENU_HOOK


@hooks.register("register_admin_viewset")
def register_organisation_viewsets():
    return OrganisationViewSetGroup()


class ImportMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        return imports.user_may_import(request.user)


@hooks.register(ORGANISATION_MENU_HOOK)
def register_import_menu_item():
    return ImportMenuItem(
        _("Import members"), reverse("cms_member_import"), icon_name="upload", order=900
    )


@hooks.register("register_admin_urls")
def register_import_urls():
    return [
        path("members-import/", imports.MemberImportView.as_view(), name="cms_member_import"),
        path(
            "members-import/preview/",
            imports.MemberImportPreviewView.as_view(),
            name="cms_member_import_preview",
        ),
        path(
            "members-import/confirm/",
            imports.MemberImportConfirmView.as_view(),
            name="cms_member_import_confirm",
        ),
        path(
            "members-import/cancel/",
            imports.MemberImportCancelView.as_view(),
            name="cms_member_import_cancel",
        ),
    ]


@hooks.register("register_log_actions", order=1000)  # after Wagtail's own registrations
def scope_site_history(actions):
    log_entry_models_scope(actions.log_entry_models)


@hooks.register("register_log_actions")
def register_member_log_actions(actions):
    actions.register_action(services.ACTION_LOGIN_UNLOCKED, _("Unlock login"), _("Login unlocked"))


# --- notices: a manager works on the notices of their own subtree only --------------------


def _refuse_notice_out_of_scope(request, page, *_args):
    page = page.specific
    if isinstance(page, NoticePage) and not notice_in_scope(user=request.user, notice=page):
        raise Http404  # as every object outside one's scope: not found, nothing told


for _hook in (
    "before_edit_page",
    "before_delete_page",
    "before_unpublish_page",
    "before_copy_page",
    "before_move_page",
    "before_convert_alias_page",
):
    hooks.register(_hook, _refuse_notice_out_of_scope)


@hooks.register("construct_page_chooser_queryset")
def hide_notices_out_of_scope(pages, request):
    if request.user.is_superuser:
        return pages
    return pages.exclude(pk__in=notice_ids_out_of_scope(user=request.user))


@hooks.register("construct_explorer_page_queryset")
def hide_notices_out_of_scope_in_explorer(parent_page, pages, request):
    return hide_notices_out_of_scope(pages, request)
