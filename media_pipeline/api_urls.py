from django.urls import path

from . import api

app_name = "media_pipeline_api"

urlpatterns = [
    path("videos/status/", api.VideoStatusApi.as_view(), name="video-status"),
]
