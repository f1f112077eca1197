from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from .admin_views import study_sessions as views


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
