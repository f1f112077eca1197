from django.urls import path

from . import api

app_name = "reports_api"

urlpatterns = [
    path("units/", api.UnitsApi.as_view(), name="units"),
    path("units/<int:unit_id>/overview/", api.UnitOverviewApi.as_view(), name="overview"),
    path("units/<int:unit_id>/members/", api.UnitMembersApi.as_view(), name="members"),
    path("courses/<int:course_id>/", api.CourseApi.as_view(), name="course"),
    path("quizzes/<int:quiz_id>/", api.QuizApi.as_view(), name="quiz"),
    path("members/<int:user_id>/record/", api.MemberRecordApi.as_view(), name="member_record"),
]
