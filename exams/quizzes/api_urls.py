from django.urls import path

from . import api

app_name = "quizzes_api"

urlpatterns = [
    path("<int:quiz_id>/attempts/", api.AttemptStartApi.as_view(), name="attempt_start"),
    path("attempts/<int:attempt_id>/", api.AttemptPageApi.as_view(), name="attempt"),
    path("attempts/<int:attempt_id>/responses/", api.ResponsesApi.as_view(), name="responses"),
    path("attempts/<int:attempt_id>/page/", api.AttemptPageGotoApi.as_view(), name="page"),
    path("attempts/<int:attempt_id>/submit/", api.AttemptSubmitApi.as_view(), name="submit"),
    path("attempts/<int:attempt_id>/review/", api.AttemptReviewApi.as_view(), name="review"),
]
