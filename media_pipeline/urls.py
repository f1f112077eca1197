from django.urls import path

from . import views

app_name = "media_pipeline"

urlpatterns = [
    path("v/<str:token>/<int:video_id>/<path:path>", views.serve, name="serve"),
]
