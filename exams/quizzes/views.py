"""The member's quiz pages: the quiz lesson page, the attempt and its review.

Server-rendered and light (a member on a 2G-class link sees the first question after
≤ 30 KB). The attempt page is a real ``<form>`` that works without JavaScript: a POST
saves the page's answers through the same service as the API's autosave and then moves to
another page or submits. ``static/js/quiz.js``, when it runs, autosaves through the API
and keeps answers on the device while the connection is down.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from courses.models import LessonProgress
from courses.selectors import (
    lesson_progress_for,
)
from courses.views import lesson_gate

from . import selectors
from . import spec as qspec
from .models import Attempt, AttemptQuestion, QuizLessonPage
from .services.attempts import (
    AnswerInput,
    AttemptRefused,
    attempt_goto_page,
    attempt_start,
    attempt_submit,
    responses_save,
)

#: The longest text a form field may carry into a response (the service caps the JSON).
TEXT_MAX = 5000
_GAP = re.compile(qspec.GAP_MARKER)
_FINISHED_CODES = frozenset({"time_up", "finished", "closed"})


# --- the quiz lesson page --------------------------------------------------------------


def quiz_lesson_page(request: HttpRequest, *, quiz: QuizLessonPage) -> HttpResponse:
    """The quiz as a lesson: its introduction, settings, the member's attempts and
    result, and the button that starts or resumes an attempt."""
    gate = lesson_gate(request, lesson=quiz)
    if gate.answer is not None:
        return gate.answer
    preview, course, locked, enrolled = gate.preview, gate.course, gate.locked, gate.enrolled
    state = None
    if not preview and not locked:
        state = selectors.quiz_member_state(user=request.user, quiz=quiz)
    progress = lesson_progress_for(user=request.user, lesson=quiz) if enrolled else None
    past = _past_attempts(state) if state else []
    return TemplateResponse(
        request,
        "quizzes/quiz_lesson_page.html",
        {
            "page": quiz,
            "self": quiz,
            "course": course,
            "locked": locked,
            "enrolled": enrolled,
            "state": state,
            "past": past,
            # the grade over attempts, only where the review shows an attempt's score
            "show_result": any(row["show_score"] for row in past),
            "is_done": progress is not None and progress.state == LessonProgress.State.DONE,
            "previous_lesson": gate.previous_lesson,
            "next_lesson": gate.next_lesson,
            "outline": gate.outline,
        },
    )


def _past_attempts(state: Any) -> list[dict[str, Any]]:
    """The member's finished attempts, each with its grade only when review shows it."""
    rows = []
    for attempt in state.attempts:
        if attempt.state == Attempt.State.IN_PROGRESS:
            continue
        show_score = selectors.review_options(attempt=attempt)[0]
        rows.append(
            {
                "attempt": attempt,
                "show_score": show_score,
                "percent": attempt.percent if show_score else None,
                "passed": attempt.passed if show_score else None,
            }
        )
    return rows


@require_POST
@login_required
def attempt_start_view(request: HttpRequest, quiz_id: int) -> HttpResponse:
    """Start or resume the member's attempt, then show it."""
    try:
        attempt, _created = attempt_start(user=request.user, quiz_id=quiz_id)
    except AttemptRefused as refused:
        if refused.status == 404:
            raise Http404 from None
        messages.error(request, refused.message)
        quiz = QuizLessonPage.objects.filter(pk=quiz_id).first()
        return redirect(quiz.url if quiz is not None and quiz.url else "/")
    return redirect("quizzes:attempt", attempt.pk)


# --- the attempt page ------------------------------------------------------------------


def gap_parts(html: str) -> list[dict[str, Any]]:
    """A fill-in-the-blanks text cut at its ``[[n]]`` markers: ``{"html": …}`` chunks and
    ``{"gap": n, "index": i}`` places (``i``: the gap's place in the response's list, by
    gap number)."""
    numbers = sorted({int(n) for n in _GAP.findall(html)})
    parts: list[dict[str, Any]] = []
    for i, chunk in enumerate(_GAP.split(html)):
        if i % 2:
            n = int(chunk)
            parts.append({"gap": n, "index": numbers.index(n)})
        elif chunk:
            parts.append({"html": mark_safe(chunk)})  # noqa: S308 - rendered rich text
    return parts


def question_for_form(question: dict[str, Any], seq: int = 0) -> dict[str, Any]:
    """``question`` (a ``presentation.question_for_member`` dict) with what the form of
    ``quizzes/includes/attempt_question.html`` needs besides: the field prefix, the stored
    and the next ``seq``, the text cut at its gaps and the response spread over the fields."""
    response = question.get("response") or {}
    if not isinstance(response, dict):
        response = {}
    qtype = question["qtype"]
    extra: dict[str, Any] = {"prefix": f"q{question['position']}-", "seq": seq, "next_seq": seq + 1}
    if qtype == qspec.GAPFILL:
        given = response.get("gaps") if isinstance(response.get("gaps"), list) else []
        parts = gap_parts(question["text"])
        for part in parts:
            if "gap" in part:
                index = part["index"]
                part["value"] = given[index] if index < len(given) else ""
        extra["parts"] = parts
    elif qtype == qspec.MULTI:
        chosen = response.get("choices")
        extra["chosen"] = (
            [c for c in chosen if isinstance(c, str)] if isinstance(chosen, list) else []
        )
    elif qtype == qspec.MATCHING:
        matches = response.get("matches") if isinstance(response.get("matches"), dict) else {}
        extra["rows"] = [
            {**prompt, "value": matches.get(prompt["key"], "")} for prompt in question["prompts"]
        ]
    elif qtype == qspec.ORDERING:
        by_key = {item["key"]: item for item in question["items"]}
        order = response.get("order") if isinstance(response.get("order"), list) else []
        order = [key for key in order if key in by_key]
        if len(order) != len(by_key):
            order = list(by_key)
        extra["ranks"] = [{"rank": i + 1, "key": key} for i, key in enumerate(order)]
    return {**question, **extra, "r": response}


def responses_from_post(post: QueryDict, questions: list[dict[str, Any]]) -> list[AnswerInput]:
    """The answers a no-JavaScript form posted for ``questions`` (those of its page).

    A question left as it was shown (nothing chosen, nothing typed, and nothing saved
    before) sends nothing; a field of another question or page is never read.
    """
    answers = []
    for question in questions:
        prefix = f"q{question['position']}-"
        raw_seq = post.get(prefix + "seq", "")
        if not raw_seq.isdigit() or len(raw_seq) > 10:
            continue
        response = _response_from_fields(post, prefix, question)
        if response is None:
            continue
        answers.append(
            AnswerInput(position=question["position"], response=response, seq=int(raw_seq))
        )
    return answers


def _text(post: QueryDict, name: str) -> str | None:
    value = post.get(name)
    return None if value is None else value[:TEXT_MAX]


def _response_from_fields(
    post: QueryDict, prefix: str, question: dict[str, Any]
) -> dict[str, Any] | None:
    had = bool(question.get("response"))
    qtype = question["qtype"]
    if qtype in (qspec.SINGLE, qspec.TRUEFALSE):
        choice = _text(post, prefix + "choice")
        return {"choice": choice} if choice else None
    if qtype == qspec.MULTI:
        choices = [value[:200] for value in post.getlist(prefix + "choices")][:100]
        return {"choices": choices} if choices or had else None
    if qtype in (qspec.SHORTANSWER, qspec.ESSAY, qspec.NUMERICAL):
        name = "value" if qtype == qspec.NUMERICAL else "text"
        value = _text(post, prefix + name)
        return {name: value} if value is not None and (value.strip() or had) else None
    if qtype == qspec.GAPFILL:
        gaps = [_text(post, f"{prefix}gap-{i}") or "" for i in range(question["gaps"])]
        return {"gaps": gaps} if any(g.strip() for g in gaps) or had else None
    if qtype == qspec.MATCHING:
        matches = {}
        for prompt in question["prompts"]:
            value = _text(post, f"{prefix}match-{prompt['key']}")
            if value:
                matches[prompt["key"]] = value
        return {"matches": matches} if matches or had else None
    if qtype == qspec.ORDERING:
        shown = [item["key"] for item in question["items"]]
        order = [_text(post, f"{prefix}order-{i + 1}") or "" for i in range(len(shown))]
        return {"order": order} if order != shown or had else None
    return None


def response_seqs(*, attempt: Attempt, questions: list[dict[str, Any]]) -> dict[int, int]:
    """The stored ``seq`` of each question's response (0: none yet), by position: where
    the browser's counters continue from, on this device or another."""
    if all("seq" in q for q in questions):
        return {q["position"]: q["seq"] for q in questions}
    positions = [q["position"] for q in questions]
    rows = AttemptQuestion.objects.filter(attempt=attempt, position__in=positions)
    return dict(rows.values_list("position", "response_seq"))


def _page_number(raw: str | None) -> int | None:
    if raw is None or not raw.isdigit() or len(raw) > 5:
        return None
    return int(raw)


def _attempt_url(attempt_id: int, page: int | None = None) -> str:
    url = reverse("quizzes:attempt", args=[attempt_id])
    return f"{url}?{urlencode({'page': page})}" if page is not None else url


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def attempt_view(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = selectors.attempt_of_member(user=request.user, attempt_id=attempt_id)
    if attempt.state != Attempt.State.IN_PROGRESS:
        return redirect("quizzes:review", attempt.pk)
    if request.method == "POST":
        return _attempt_post(request, attempt)
    try:
        view = selectors.attempt_page(attempt=attempt, page=_page_number(request.GET.get("page")))
    except AttemptRefused as refused:
        messages.error(request, refused.message)
        if refused.code in _FINISHED_CODES:
            return redirect("quizzes:review", attempt.pk)
        return redirect(_attempt_url(attempt.pk))
    if view.attempt.state != Attempt.State.IN_PROGRESS:  # its time ran out just now
        return redirect("quizzes:review", attempt.pk)
    seqs = response_seqs(attempt=view.attempt, questions=view.questions)
    questions = [question_for_form(q, seqs.get(q["position"], 0)) for q in view.questions]
    quiz = view.attempt.quiz
    return TemplateResponse(
        request,
        "quizzes/attempt.html",
        {
            "page": quiz,
            "quiz": quiz,
            "view": view,
            "attempt": view.attempt,
            "questions": questions,
            "pages": range(view.page_count),
            "is_last": view.page + 1 >= view.page_count,
            "minutes_left": -(-(view.remaining_seconds or 0) // 60),
            "can_go_back": view.navigation != "sequential" and view.page > 0,
            "free": view.navigation != "sequential",
            "api": {
                "responses": reverse("quizzes_api:responses", args=[attempt.pk]),
                "submit": reverse("quizzes_api:submit", args=[attempt.pk]),
                "review": reverse("quizzes:review", args=[attempt.pk]),
            },
        },
    )


def _attempt_post(request: HttpRequest, attempt: Attempt) -> HttpResponse:
    """Save the posted page's answers, then move or submit as the button says."""
    page = _page_number(request.POST.get("page"))
    action = request.POST.get("action", "save")
    try:
        view = selectors.attempt_page(attempt=attempt, page=page)
        answers = responses_from_post(request.POST, view.questions)
        if answers:
            responses_save(user=request.user, attempt_id=attempt.pk, answers=answers)
        if action == "submit":
            attempt_submit(user=request.user, attempt_id=attempt.pk)
            return redirect("quizzes:review", attempt.pk)
        target = view.page
        if action == "next":
            target = view.page + 1
        elif action == "prev":
            target = view.page - 1
        elif action.startswith("goto-"):
            target = _page_number(action[5:])
        if target is None or not 0 <= target < view.page_count:
            target = view.page
        if target != view.page:
            attempt_goto_page(user=request.user, attempt_id=attempt.pk, page=target)
    except AttemptRefused as refused:
        messages.error(request, refused.message)
        if refused.code in _FINISHED_CODES:
            return redirect("quizzes:review", attempt.pk)
        return redirect(_attempt_url(attempt.pk))
    if action == "save":
        messages.success(request, _("Your answers are saved."))
    return redirect(_attempt_url(attempt.pk, target))


# --- the review page -------------------------------------------------------------------


@require_safe
@login_required
def review_view(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = selectors.attempt_of_member(user=request.user, attempt_id=attempt_id)
    if attempt.state == Attempt.State.IN_PROGRESS:
        return redirect("quizzes:attempt", attempt.pk)
    review = selectors.attempt_review(attempt=attempt)
    questions = []
    for q in review.questions:
        response = q.response if isinstance(q.response, dict) else None
        shown = question_for_form({**q.question, "response": response}, 0)
        correct = None
        if review.show_answers and q.show_correct and q.correct_response is not None:
            correct = question_for_form({**q.question, "response": q.correct_response}, 0)
            correct["prefix"] = f"c{q.position}-"
        questions.append({"q": q, "shown": shown, "correct": correct})
    return TemplateResponse(
        request,
        "quizzes/review.html",
        {
            "page": attempt.quiz,
            "quiz": attempt.quiz,
            "attempt": attempt,
            "review": review,
            "questions": questions,
        },
    )
