"""The quiz API (``/api/v1/quizzes/``): start or resume, a page, autosave, navigation,
submit and review. The member pages and a future mobile app use the same endpoints.

Session authentication with CSRF (DRF's default here); each view is one validator (its
serializer) and one service or selector. A refusal of the service (``AttemptRefused``)
answers its own status with ``{"detail": message}``; a body that is not a JSON object,
too large, too deep or of the wrong types is a translated 400; another member's attempt is
a 404, exactly as one that does not exist.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import parsers, status
from rest_framework.exceptions import ParseError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cms.api_contract import error_answers, first_error

from . import selectors
from .models import Attempt
from .serializers import (
    AttemptPageSerializer,
    AttemptResultSerializer,
    PageInSerializer,
    ResponsesInSerializer,
    ReviewSerializer,
    SaveOutcomeSerializer,
)
from .services.attempts import (
    AnswerInput,
    AttemptRefused,
    attempt_goto_page,
    attempt_start,
    attempt_submit,
    responses_save,
)
from .views import response_seqs

#: A save carries at most 100 responses of at most 10 KB each, as JSON; more is not a save.
MAX_BODY_BYTES = 256 * 1024

PAGE_FIELDS = ("page", "page_count", "navigation", "remaining_seconds", "deadline", "server_time")

# 400 and 409: the attempt service's refusals (``AttemptRefused``), on every operation;
# 403 and 404 come with every operation's authentication and path (cms.api_schema).
ERRORS = error_answers(400, 409)


class QuizJSONParser(parsers.JSONParser):
    """JSON of at most ``MAX_BODY_BYTES``; nesting too deep for the parser is a 400 like
    any other bad body, never a 500 (the idea of ``exams.tracking``'s beat parser)."""

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read(MAX_BODY_BYTES + 1) if stream is not None else b""
        if len(raw) > MAX_BODY_BYTES:
            raise ParseError(_("The request is too large."))
        try:
            return json.loads(raw.decode(settings.DEFAULT_CHARSET) or "null")
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise ParseError(_("The request is not valid JSON.")) from None


def _error(detail: str, code: int, errors: Any = None) -> Response:
    body: dict[str, Any] = {"detail": detail}
    if errors is not None:
        body["errors"] = errors
    return Response(body, status=code)


def _refused(refused: AttemptRefused) -> Response:
    return _error(refused.message, refused.status)


def _object_body(request: Request) -> dict | Response:
    """The JSON object posted, or the 400 that says why there is none."""
    try:
        data = request.data
    except ParseError as error:
        return _error(str(error.detail), status.HTTP_400_BAD_REQUEST)
    if not isinstance(data, dict):
        return _error(_("The request body must be a JSON object."), status.HTTP_400_BAD_REQUEST)
    return data


def _validated(serializer_class, request: Request):
    """(validated data, None) or (None, the 400)."""
    data = _object_body(request)
    if isinstance(data, Response):
        return None, data
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        return None, _error(
            first_error(serializer.errors), status.HTTP_400_BAD_REQUEST, serializer.errors
        )
    return serializer.validated_data, None


def page_payload(view: selectors.AttemptPageView) -> dict[str, Any]:
    """The page with each question's stored ``seq`` (where the client's counter goes on)."""
    seqs = response_seqs(attempt=view.attempt, questions=view.questions)
    questions = [{**q, "seq": seqs.get(q["position"], 0)} for q in view.questions]
    data = {name: getattr(view, name) for name in PAGE_FIELDS}
    return AttemptPageSerializer({**data, "attempt": view.attempt, "questions": questions}).data


def result_payload(review: selectors.AttemptReview) -> dict[str, Any]:
    """An attempt's outcome; the score fields are empty unless the review shows them."""
    attempt = review.attempt
    shown = review.show_score
    return AttemptResultSerializer(
        {
            "attempt": attempt.pk,
            "quiz": attempt.quiz_id,
            "number": attempt.number,
            "state": attempt.state,
            "closed_by": attempt.closed_by,
            "submitted_at": attempt.submitted_at,
            "show_score": shown,
            "score": review.score if shown else None,
            "max_score": review.max_score if shown else None,
            "percent": review.percent if shown else None,
            "passed": review.passed if shown else None,
            "review_url": reverse("quizzes:review", args=[attempt.pk]),
        }
    ).data


def review_payload(review: selectors.AttemptReview) -> dict[str, Any]:
    """The review as its options allow: whatever an option hides is emptied here too, so
    that a selector's slip cannot leak it."""
    attempt = review.attempt
    score, answers, feedback = review.show_score, review.show_answers, review.show_feedback
    questions = [
        {
            "position": q.position,
            "question": q.question,
            "response": q.response,
            "state": q.state or "",
            "show_correct": bool(answers and q.show_correct),
            "correct_response": q.correct_response if answers and q.show_correct else None,
            "fraction": q.fraction if score else None,
            "score": q.score if score else None,
            "mark": q.mark,
            "feedback": list(q.feedback) if feedback else [],
            "general_feedback": q.general_feedback if feedback else "",
            "comment": q.comment if feedback else "",
        }
        for q in review.questions
    ]
    return ReviewSerializer(
        {
            "attempt": attempt.pk,
            "quiz": attempt.quiz_id,
            "number": attempt.number,
            "state": attempt.state,
            "show_score": score,
            "show_answers": answers,
            "show_feedback": feedback,
            "score": review.score if score else None,
            "max_score": review.max_score if score else None,
            "percent": review.percent if score else None,
            "passed": review.passed if score else None,
            "questions": questions,
        }
    ).data


class QuizApiView(APIView):
    parser_classes = [QuizJSONParser]


class AttemptStartApi(QuizApiView):
    """``POST /api/v1/quizzes/<quiz_id>/attempts/``: resume the member's attempt in
    progress (200) or start one (201); either way its current page."""

    @extend_schema(
        operation_id="quiz_attempt_start",
        request=None,
        responses={200: AttemptPageSerializer, 201: AttemptPageSerializer, **ERRORS},
    )
    def post(self, request: Request, quiz_id: int) -> Response:
        try:
            attempt, created = attempt_start(user=request.user, quiz_id=quiz_id)
            view = selectors.attempt_page(attempt=attempt)
        except AttemptRefused as refused:
            return _refused(refused)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(page_payload(view), status=code)


class AttemptPageApi(QuizApiView):
    """``GET /api/v1/quizzes/attempts/<attempt_id>/?page=N``: a page of questions with the
    member's saved responses and the time left by the server's clock."""

    @extend_schema(
        operation_id="quiz_attempt_page",
        parameters=[
            OpenApiParameter(
                "page",
                OpenApiTypes.INT,
                # lazy: the schema is built in whatever language is active at import
                description=gettext_lazy("The page (from 0); default: current"),
            )
        ],
        responses={200: AttemptPageSerializer, **ERRORS},
    )
    def get(self, request: Request, attempt_id: int) -> Response:
        page = None
        if "page" in request.query_params:
            raw = request.query_params["page"]
            if not raw.isdigit() or len(raw) > 5:
                return _error(_("The page must be a whole number."), status.HTTP_400_BAD_REQUEST)
            page = int(raw)
        attempt = selectors.attempt_of_member(user=request.user, attempt_id=attempt_id)
        try:
            view = selectors.attempt_page(attempt=attempt, page=page)
        except AttemptRefused as refused:
            return _refused(refused)
        return Response(page_payload(view))


class ResponsesApi(QuizApiView):
    """``POST /api/v1/quizzes/attempts/<attempt_id>/responses/``: autosave. Each answer
    carries the question's ``position`` and a ``seq`` that grows with every change of that
    question; a ``seq`` not above the stored one is stale and ignored (queued answers
    replayed after a dropped connection never overwrite newer ones)."""

    @extend_schema(
        operation_id="quiz_responses_save",
        request=ResponsesInSerializer,
        responses={200: SaveOutcomeSerializer, **ERRORS},
    )
    def post(self, request: Request, attempt_id: int) -> Response:
        data, error = _validated(ResponsesInSerializer, request)
        if error is not None:
            return error
        answers = [
            AnswerInput(position=a["position"], response=a["response"], seq=a["seq"])
            for a in data["answers"]
        ]
        try:
            outcome = responses_save(user=request.user, attempt_id=attempt_id, answers=answers)
        except AttemptRefused as refused:
            return _refused(refused)
        return Response(
            SaveOutcomeSerializer(
                {
                    "saved": list(outcome.saved),
                    "stale": list(outcome.stale),
                    "remaining_seconds": outcome.remaining_seconds,
                    "deadline": outcome.deadline,
                }
            ).data
        )


class AttemptPageGotoApi(QuizApiView):
    """``POST /api/v1/quizzes/attempts/<attempt_id>/page/``: move to a page (sequential
    navigation never goes back)."""

    @extend_schema(
        operation_id="quiz_attempt_goto_page",
        request=PageInSerializer,
        responses={200: AttemptPageSerializer, **ERRORS},
    )
    def post(self, request: Request, attempt_id: int) -> Response:
        data, error = _validated(PageInSerializer, request)
        if error is not None:
            return error
        try:
            attempt = attempt_goto_page(user=request.user, attempt_id=attempt_id, page=data["page"])
            view = selectors.attempt_page(attempt=attempt)
        except AttemptRefused as refused:
            return _refused(refused)
        return Response(page_payload(view))


class AttemptSubmitApi(QuizApiView):
    """``POST /api/v1/quizzes/attempts/<attempt_id>/submit/``: finish and grade. Idempotent:
    a double click, a retry or a second tab get the same graded attempt."""

    @extend_schema(
        operation_id="quiz_attempt_submit",
        request=None,
        responses={200: AttemptResultSerializer, **ERRORS},
    )
    def post(self, request: Request, attempt_id: int) -> Response:
        try:
            attempt = attempt_submit(user=request.user, attempt_id=attempt_id)
        except AttemptRefused as refused:
            return _refused(refused)
        return Response(result_payload(selectors.attempt_review(attempt=attempt)))


class AttemptReviewApi(QuizApiView):
    """``GET /api/v1/quizzes/attempts/<attempt_id>/review/``: the finished attempt, showing
    the score, the right answers and feedback only as the quiz's review options allow."""

    @extend_schema(operation_id="quiz_attempt_review", responses={200: ReviewSerializer, **ERRORS})
    def get(self, request: Request, attempt_id: int) -> Response:
        attempt = selectors.attempt_of_member(user=request.user, attempt_id=attempt_id)
        if attempt.state == Attempt.State.IN_PROGRESS:
            return _error(_("This attempt is not finished yet."), status.HTTP_409_CONFLICT)
        try:
            review = selectors.attempt_review(attempt=attempt)
        except AttemptRefused as refused:
            return _refused(refused)
        return Response(review_payload(review))
