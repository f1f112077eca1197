from django.urls import path

import cms.api_contract  # noqa: F401 - registers the <id:…> path converter

from . import api

app_name = "quizzes_api"

urlpatterns = [
    path("<id:quiz_id>/attempts/", api.AttemptStartApi.as_view(), name="attempt_start"),
    path("attempts/<id:attempt_id>/", api.AttemptPageApi.as_view(), name="attempt"),
    path("attempts/<id:attempt_id>/responses/", api.ResponsesApi.as_view(), name="responses"),
    path("attempts/<id:attempt_id>/page/", api.AttemptPageGotoApi.as_view(), name="page"),
    path("attempts/<id:attempt_id>/submit/", api.AttemptSubmitApi.as_view(), name="submit"),
    path("attempts/<id:attempt_id>/review/", api.AttemptReviewApi.as_view(), name="review"),
]
