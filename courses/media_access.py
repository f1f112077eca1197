"""The lecture media check that ``media_pipeline`` asks at serve time (registered in
``CoursesConfig.ready()``): may this member watch, or download, this lecture now?"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from wagtail.models import Page, ReferenceIndex
from wagtailmedia.permissions import permission_policy

from media_pipeline.access import NO_ACCESS, MediaAccess, register_access_check
from media_pipeline.models import LectureVideo

from .models import LessonPage
from .selectors import courses_visible_to

EDIT_ACTIONS = ["change", "choose"]


def _lessons_using(video: LectureVideo):
    """Live lessons whose body uses ``video`` (Wagtail's reference index)."""
    page_ids = [
        int(pk)
        for pk in ReferenceIndex.get_references_to(video)
        .filter(base_content_type=ContentType.objects.get_for_model(Page))
        .values_list("object_id", flat=True)
        .distinct()
        if str(pk).isdigit()
    ]
    return LessonPage.objects.live().filter(pk__in=page_ids)


def lecture_media_access(*, user: AbstractBaseUser, video_id: int) -> MediaAccess:
    """Watch: a live lesson of a course the member may see (audience, published) uses the
    video, or the member may edit or choose it in the admin (a trainer's preview).
    Download: only where such a course allows offline download; editors always may."""
    video = LectureVideo.objects.filter(pk=video_id).first()
    if video is None:
        return NO_ACCESS
    if user.is_superuser or permission_policy.user_has_any_permission_for_instance(
        user, EDIT_ACTIONS, video
    ):
        return MediaAccess(watch=True, download=True)
    step = LessonPage.steplen
    course_paths = {path[:-step] for path in _lessons_using(video).values_list("path", flat=True)}
    if not course_paths:
        return NO_ACCESS
    courses = courses_visible_to(user=user).filter(path__in=course_paths)
    downloads = list(courses.values_list("allow_download", flat=True))
    return MediaAccess(watch=bool(downloads), download=any(downloads))


def register_media_access() -> None:
    """Called from ``CoursesConfig.ready()``."""
    register_access_check(lecture_media_access)
