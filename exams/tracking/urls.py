from django.urls import path

from . import views

app_name = "tracking"

urlpatterns = [
    path("lessons/<int:lesson_id>/done/", views.lesson_done, name="lesson_done"),
]
