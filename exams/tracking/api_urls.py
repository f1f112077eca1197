from django.urls import path

from . import api

app_name = "exams_api"

urlpatterns = [
    path("heartbeats/", api.HeartbeatApi.as_view(), name="heartbeats"),
    path("preferences/", api.PreferencesApi.as_view(), name="preferences"),
    path("ping/", api.PingApi.as_view(), name="ping"),
]
