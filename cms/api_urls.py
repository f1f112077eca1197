"""One place where each app's API routes are mounted under /api/."""

from django.urls import include, path, re_path

from .api_contract import api_not_found

urlpatterns = [
    path("exams/", include("exams.tracking.api_urls")),  # first: the heartbeats
    path("courses/", include("courses.api_urls")),
    path("media/", include("media_pipeline.api_urls")),
    path("v1/quizzes/", include("exams.quizzes.api_urls")),
    path("v1/reports/", include("exams.reports.api_urls")),
    # Last: a path ending in "/" that no endpoint took is a JSON 404 (one without the
    # slash still gets CommonMiddleware's redirect to it first).
    re_path(r"^.*/$", api_not_found, name="api-not-found"),
]
