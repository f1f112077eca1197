from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from . import views

# A lost database connection met outside a view is a 503 too (cms/database_unavailable.py).
handler500 = "cms.database_unavailable.server_error"

urlpatterns = [
    # First: the heartbeat endpoint under api/ is the busiest URL, and resolving walks
    # the patterns in order.
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/", include("cms.api_urls")),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/change/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("accounts/password/reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password/reset/done/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("learn/", include("courses.urls")),
    path("media-files/", include("media_pipeline.urls")),
    path("exams/", include("exams.tracking.urls")),
    path("quizzes/", include("exams.quizzes.urls")),
    path("learn/record/", include("exams.reports.member_urls")),
    path("reports/", include("exams.reports.urls")),
]

# MEDIA_ROOT is never served as a whole, in any setting: it holds uploaded source videos,
# lecture ladders, captions, original images and documents. Only image renditions have a
# URL under it, and they go through the course audience check (documents go through
# /documents/, lecture media through /media-files/).
if settings.MEDIA_URL.startswith("/"):
    urlpatterns += [path(settings.MEDIA_URL[1:] + "images/", include("courses.file_urls"))]

urlpatterns += [path("", include(wagtail_urls))]
