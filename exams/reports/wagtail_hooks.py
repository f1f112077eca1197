from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from .figures import user_may_see_reports


class ReportsMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        return user_may_see_reports(user=request.user)


@hooks.register("register_admin_menu_item")
def register_reports_menu_item():
    return ReportsMenuItem(
        _("Training reports"), reverse("reports_home"), icon_name="table", order=250
    )


@hooks.register("register_admin_urls")
def register_reports_urls():
    return [path("reports/", include("exams.reports.admin_urls"))]
