"""Image renditions behind the course audience check, mounted at ``MEDIA_URL/images/``."""

from django.urls import path

from . import views

app_name = "courses_files"

urlpatterns = [
    path("<path:name>", views.image_file, name="image"),
]
