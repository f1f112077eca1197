"""Member-facing views: catalogue, course and lesson pages, enrolment, "My learning"."""

import mimetypes
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from .models import CourseIndexPage, CoursePage, LessonPage, LessonProgress, Topic
from .selectors import (
    CourseProgress,
    catalogue_cards,
    catalogue_queryset,
    catalogue_search,
    course_of_lesson,
    course_progress,
    course_visible_to,
    file_visible_to,
    lesson_visible_to,
    member_learning,
    rendition_by_file_name,
    start_seconds_from,
)
from .services import EnrolmentError, enrolment_create, lesson_progress_record

PAGE_SIZE = 12


def _is_preview(request: HttpRequest) -> bool:
    return getattr(request, "is_preview", False)


def catalogue_page(request: HttpRequest, index: CourseIndexPage | None = None) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    query = request.GET.get("q", "")[:100]
    topic = request.GET.get("topic", "")[:100]
    tag = request.GET.get("tag", "")[:100]
    courses = catalogue_search(user=request.user, query=query, topic=topic, tag=tag, index=index)
    page = Paginator(catalogue_queryset(courses), PAGE_SIZE).get_page(request.GET.get("page"))
    return TemplateResponse(
        request,
        "courses/course_index_page.html",
        {
            "page": index,
            "self": index,
            "cards": catalogue_cards(user=request.user, courses=page.object_list),
            "page_obj": page,
            "query": query,
            "topic": topic,
            "tag": tag,
            "topics": Topic.objects.all(),
        },
    )


@login_required
def catalogue(request: HttpRequest) -> HttpResponse:
    return catalogue_page(request)


def course_page(request: HttpRequest, *, course: CoursePage) -> HttpResponse:
    if not _is_preview(request):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not course_visible_to(user=request.user, course=course):
            raise Http404
    return TemplateResponse(
        request,
        "courses/course_page.html",
        {
            "page": course,
            "self": course,
            "progress": course_progress(user=request.user, course=course),
            "tags": list(course.tags.all()),
        },
    )


@dataclass(frozen=True)
class LessonGate:
    """What a lesson's page knows of its visitor: ``answer`` (the login page) when the
    page is not for them yet, else the lesson's course, whether course order still locks
    it, and whether they are enrolled (a preview: neither)."""

    answer: HttpResponse | None
    course: CoursePage | None = None
    locked: bool = False
    enrolled: bool = False
    preview: bool = False
    previous_lesson: LessonPage | None = None
    next_lesson: LessonPage | None = None
    # The course's lessons with the member's states, for the outline on the page.
    outline: CourseProgress | None = None


def lesson_gate(request: HttpRequest, *, lesson: LessonPage) -> LessonGate:
    """The access check of every lesson page (reading, video, quiz): anonymous visitors
    go to the login page, a lesson not open to the member is a 404."""
    preview = _is_preview(request)
    if not preview:
        if not request.user.is_authenticated:
            return LessonGate(answer=redirect_to_login(request.get_full_path()))
        if not lesson_visible_to(user=request.user, lesson=lesson):
            raise Http404
    course = course_of_lesson(lesson=lesson)
    # One read of the course's lessons and the member's states serves the neighbours, the
    # lock and the outline alike.
    outline = course_progress(user=request.user, course=course, here=lesson)
    previous_lesson, next_lesson = outline.neighbours(lesson)
    row = outline.row_of(lesson)  # None only in a preview of a lesson not live yet
    locked = row is not None and row.locked
    return LessonGate(
        answer=None,
        course=course,
        previous_lesson=previous_lesson,
        next_lesson=next_lesson,
        locked=not preview and locked,
        enrolled=not preview and outline.is_enrolled,
        preview=preview,
        outline=outline,
    )


def lesson_page(request: HttpRequest, *, lesson: LessonPage) -> HttpResponse:
    gate = lesson_gate(request, lesson=lesson)
    if gate.answer is not None:
        return gate.answer
    course, locked, enrolled = gate.course, gate.locked, gate.enrolled
    progress = None
    if enrolled and not locked:
        progress = lesson_progress_record(user=request.user, lesson=lesson)
        row = gate.outline.row_of(lesson) if gate.outline else None
        if row is not None:  # opening it just now started it: the outline says so
            row.state = progress.state
    return TemplateResponse(
        request,
        "courses/lesson_page.html",
        {
            "page": lesson,
            "self": lesson,
            "course": course,
            "locked": locked,
            "enrolled": enrolled,
            "lesson_progress": progress,
            "is_done": progress is not None and progress.state == LessonProgress.State.DONE,
            "previous_lesson": gate.previous_lesson,
            "next_lesson": gate.next_lesson,
            "outline": gate.outline,
            # ``?t=`` from "continue learning": where the player starts (bad values ignored)
            "start_seconds": start_seconds_from(request.GET.get("t")),
        },
    )


@require_POST
@login_required
def enrol(request: HttpRequest, course_id: int) -> HttpResponse:
    course = get_object_or_404(CoursePage.objects.live(), pk=course_id)
    if not course_visible_to(user=request.user, course=course):
        raise Http404
    try:
        enrolment_create(user=request.user, course=course)
    except EnrolmentError as exc:
        messages.warning(request, exc.messages[0])
    else:
        messages.success(request, _("You are enrolled. Start with the first lesson."))
    return redirect(course.url)


@login_required
def my_learning(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(
        request, "courses/my_learning.html", {"learning": member_learning(user=request.user)}
    )


@require_safe
def image_file(request: HttpRequest, name: str) -> HttpResponse:
    """An image rendition (``MEDIA_URL/images/…``) for those who may see a course using it."""
    rendition = rendition_by_file_name(name=f"images/{name}")
    if rendition is None or not file_visible_to(user=request.user, file=rendition.image):
        raise Http404
    stored = rendition.file.name
    content_type = mimetypes.guess_type(stored)[0] or "application/octet-stream"
    accel = getattr(settings, "MEDIA_ACCEL_REDIRECT_PREFIX", "")
    if accel:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = accel.rstrip("/") + "/" + quote(stored)
    else:
        try:
            response = FileResponse(default_storage.open(stored, "rb"), content_type=content_type)
        except (FileNotFoundError, OSError) as exc:
            raise Http404 from exc
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response
