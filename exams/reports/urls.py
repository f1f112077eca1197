"""Reports' site URLs (included from cms/urls.py under "reports/")."""

from django.urls import path

from . import site_views

urlpatterns = [
    path(
        "exports/<int:export_id>/download/",
        site_views.export_download,
        name="reports_export_download",
    ),
    path("unsubscribe/<str:token>/", site_views.unsubscribe, name="reports_unsubscribe"),
]
