from django.urls import path

import cms.api_contract  # noqa: F401 - registers the <id:…> path converter

from . import api

app_name = "reports_api"

urlpatterns = [
    path("units/", api.UnitsApi.as_view(), name="units"),
    path("units/<id:unit_id>/overview/", api.UnitOverviewApi.as_view(), name="overview"),
    path("units/<id:unit_id>/members/", api.UnitMembersApi.as_view(), name="members"),
    path("courses/<id:course_id>/", api.CourseApi.as_view(), name="course"),
    path("quizzes/<id:quiz_id>/", api.QuizApi.as_view(), name="quiz"),
    path("members/<id:user_id>/record/", api.MemberRecordApi.as_view(), name="member_record"),
]
