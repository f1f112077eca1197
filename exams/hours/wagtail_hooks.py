from decimal import Decimal

from django.core.exceptions import ValidationError
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from cms.home_panels import MEMBER_PANELS_HOOK, HomePanel
from cms.selectors import member_yearly_target

from .admin_views import study_sessions as views
from .models import StudySession
from .rules import rules_current
from .selectors import member_year_hours, study_sessions_visible_to
from .services import audit


class StudySessionsMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        return views.user_may_manage_sessions(request.user)


@hooks.register("register_admin_menu_item")
def register_study_sessions_menu_item():
    return StudySessionsMenuItem(
        _("Study sessions"), reverse("exams_study_sessions"), icon_name="date", order=260
    )


@hooks.register("register_admin_urls")
def register_study_session_urls():
    return [
        path("study-sessions/", views.StudySessionListView.as_view(), name="exams_study_sessions"),
        path(
            "study-sessions/new/",
            views.StudySessionCreateView.as_view(),
            name="exams_study_session_create",
        ),
        path(
            "study-sessions/<int:pk>/",
            views.StudySessionView.as_view(),
            name="exams_study_session",
        ),
    ]


@hooks.register("register_log_actions")
def register_hours_log_actions(actions):
    actions.register_action(
        audit.ACTION_ATTENDANCE_ADDED, _("Add attendance"), _("Attendance added")
    )
    actions.register_action(
        audit.ACTION_ATTENDANCE_REMOVED, _("Remove attendance"), _("Attendance removed")
    )
    actions.register_action(
        audit.ACTION_RULES_CHANGED, _("Change study-hour rules"), _("Study-hour rules changed")
    )
    actions.register_action(
        audit.ACTION_RECOMPUTE, _("Recompute study hours"), _("Study hours recomputed")
    )
    actions.register_action(
        audit.ACTION_COURSE_CREDIT_CHANGED,
        _("Change course credit"),
        _("Course credit hours changed"),
    )


@hooks.register("register_audit_log_scope")
def register_study_session_log_scope():
    """Managers see audit entries about the study sessions of their units only."""
    return {StudySession: study_sessions_visible_to}


@hooks.register("course_credit_validate")
def course_credit_within_ceiling(*, course, credit_hours, **_kwargs) -> None:
    """The study-hour rules' ceiling on a course's credit hours."""
    ceiling = rules_current().course_credit_max_hours
    if Decimal(credit_hours or 0) > ceiling:
        raise ValidationError(
            _("A course may credit at most %(max)s hours; this one asks for %(hours)s."),
            code="credit_above_ceiling",
            params={"max": ceiling, "hours": credit_hours},
        )


@hooks.register(MEMBER_PANELS_HOOK, order=10)
def home_hours_panel(request) -> HomePanel | None:
    """The home page's strip: this year's credited hours against the member's target (the
    figures of "My learning", from the same selectors)."""
    year = timezone.localdate().year
    hours = member_year_hours(user=request.user, year=year)
    target = member_yearly_target(user=request.user)
    return HomePanel(
        title=gettext("Study hours in %(year)s") % {"year": year},
        template="cms/panels/progress.html",
        context={
            "value": hours,
            "target": target,
            "percent": min(100, round(100 * hours / target)) if target else 100,
            "unit": pgettext("hours unit", "h"),
        },
        link=reverse("courses:my_learning"),
        link_label=gettext("My learning"),
    )
