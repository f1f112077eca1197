from django.urls import path

from . import views

app_name = "courses"

urlpatterns = [
    path("", views.my_learning, name="my_learning"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("courses/<int:course_id>/enrol/", views.enrol, name="enrol"),
]
