"""The reports' admin URLs (under /admin/reports/), one module per screen."""

from django.urls import include, path

urlpatterns = [
    path("", include("exams.reports.admin_views.overview")),
    path("", include("exams.reports.admin_views.members")),
    path("", include("exams.reports.admin_views.courses")),
    path("", include("exams.reports.admin_views.quizzes")),
    path("", include("exams.reports.admin_views.exports")),
    path("", include("exams.reports.admin_views.subscriptions")),
]
