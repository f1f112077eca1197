"""Member-facing views of the watch log."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from courses.models import LessonPage
from courses.selectors import course_of_lesson, lesson_neighbours, lesson_visible_to

from .services import LessonNotDone, reading_lesson_done


@require_POST
@login_required
def lesson_done(request: HttpRequest, lesson_id: int) -> HttpResponse:
    """ "Mark as done" on a reading lesson: accepted once its estimated time is spent."""
    lesson = get_object_or_404(LessonPage.objects.live(), pk=lesson_id)
    if not lesson_visible_to(user=request.user, lesson=lesson):
        raise Http404
    try:
        already = reading_lesson_done(user=request.user, lesson=lesson)
    except LessonNotDone as refused:
        messages.warning(request, str(refused))
        return redirect(lesson.url)
    if already:
        messages.info(request, _("This lesson was already done."))
    else:
        messages.success(request, _("Lesson done."))
    course = course_of_lesson(lesson=lesson)
    _before, after = lesson_neighbours(lesson=lesson, course=course)
    # On to the lesson that follows; after the last one, the course page shows what is left.
    return redirect(after.url if after is not None else course.url)
