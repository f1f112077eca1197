"""One place where each app's API routes are mounted under /api/."""

from django.urls import include, path

urlpatterns = [
    path("exams/", include("exams.tracking.api_urls")),  # first: the heartbeats
    path("courses/", include("courses.api_urls")),
    path("media/", include("media_pipeline.api_urls")),
    path("v1/quizzes/", include("exams.quizzes.api_urls")),
    path("v1/reports/", include("exams.reports.api_urls")),
]
