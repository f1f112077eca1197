"""Input and output serializers of the quiz API (``/api/v1/quizzes/``).

The inputs are the one validator of what a browser sends; the outputs say exactly what
leaves the server, so that nothing a member may not see yet (fractions, accepted answers,
the right order, feedback) can slip into a response by accident: a question is only ever
serialised from ``presentation.question_for_member``'s dict, field by field.
"""

from __future__ import annotations

import json

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from cms.api_contract import StrictIntegerField

from . import conf

MAX_SEQ = 2**31 - 1  # AttemptQuestion.response_seq is a PositiveIntegerField
MAX_POSITION = 32767
MAX_PAGE = 32767
RESPONSE_MAX_DEPTH = 4


class ResponseField(serializers.JSONField):
    """A response: a JSON object (its shape per question type is ``spec``'s; grading scores
    any other shape 0), at most ``RESPONSE_MAX_BYTES`` as JSON and ``RESPONSE_MAX_DEPTH``
    levels deep (the deepest real shape, matching's, has two)."""

    default_error_messages = {
        "not_object": _("A response must be a JSON object."),
        "too_large": _("A response is too large."),
        "too_deep": _("A response is nested too deeply."),
        "not_json": _("A response must be plain JSON (no NaN or Infinity)."),
    }

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            self.fail("not_object")
        if _depth(data) > RESPONSE_MAX_DEPTH:
            self.fail("too_deep")
        try:
            size = len(json.dumps(data, ensure_ascii=False, allow_nan=False).encode())
        except (TypeError, ValueError):
            self.fail("not_json")
        if size > conf.quiz_setting("RESPONSE_MAX_BYTES"):
            self.fail("too_large")
        return data


def _depth(value) -> int:
    """How deep ``value`` nests (a scalar: 0), without recursion; stops counting past the
    limit."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        item, level = todo.pop()
        if not isinstance(item, dict | list):
            continue
        deepest = max(deepest, level)
        if deepest > RESPONSE_MAX_DEPTH:
            return deepest
        todo.extend(
            (child, level + 1) for child in (item.values() if isinstance(item, dict) else item)
        )
    return deepest


# --- inputs ---------------------------------------------------------------------------


class AnswerInSerializer(serializers.Serializer):
    position = StrictIntegerField(min_value=0, max_value=MAX_POSITION)
    response = ResponseField()
    seq = StrictIntegerField(min_value=0, max_value=MAX_SEQ)


class ResponsesInSerializer(serializers.Serializer):
    answers = AnswerInSerializer(many=True, allow_empty=False)

    def validate_answers(self, value):
        most = conf.quiz_setting("ANSWERS_PER_SAVE_MAX")
        if len(value) > most:
            raise serializers.ValidationError(
                _("Send at most %(count)d answers at once.") % {"count": most}
            )
        return value


class PageInSerializer(serializers.Serializer):
    page = StrictIntegerField(min_value=0, max_value=MAX_PAGE)


# --- outputs --------------------------------------------------------------------------


class KeyTextSerializer(serializers.Serializer):
    key = serializers.CharField()
    text = serializers.CharField()


class MemberQuestionSerializer(serializers.Serializer):
    """A question as the member sees it: never fractions, feedback or right answers."""

    position = serializers.IntegerField()
    qtype = serializers.CharField()
    text = serializers.CharField(help_text=_("HTML"))
    options = KeyTextSerializer(many=True, required=False)
    prompts = KeyTextSerializer(many=True, required=False)
    answers = serializers.ListField(child=serializers.CharField(), required=False)
    items = KeyTextSerializer(many=True, required=False)
    gaps = serializers.IntegerField(required=False)
    response = serializers.JSONField(allow_null=True)
    seq = serializers.IntegerField(
        required=False, help_text=_("The sequence number of the stored response.")
    )


class AttemptPageSerializer(serializers.Serializer):
    attempt = serializers.IntegerField(source="attempt.pk")
    quiz = serializers.IntegerField(source="attempt.quiz_id")
    number = serializers.IntegerField(source="attempt.number")
    state = serializers.CharField(source="attempt.state")
    page = serializers.IntegerField()
    page_count = serializers.IntegerField()
    navigation = serializers.CharField()
    remaining_seconds = serializers.IntegerField(allow_null=True)
    deadline = serializers.DateTimeField(allow_null=True)
    server_time = serializers.DateTimeField()
    questions = MemberQuestionSerializer(many=True)


class SaveOutcomeSerializer(serializers.Serializer):
    saved = serializers.ListField(child=serializers.IntegerField())
    stale = serializers.ListField(child=serializers.IntegerField())
    remaining_seconds = serializers.IntegerField(allow_null=True)
    deadline = serializers.DateTimeField(allow_null=True)


class AttemptResultSerializer(serializers.Serializer):
    """A finished (or still running) attempt: the score only when review allows it."""

    attempt = serializers.IntegerField()
    quiz = serializers.IntegerField()
    number = serializers.IntegerField()
    state = serializers.CharField()
    closed_by = serializers.CharField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    show_score = serializers.BooleanField()
    score = serializers.DecimalField(max_digits=9, decimal_places=3, allow_null=True)
    max_score = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    percent = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    passed = serializers.BooleanField(allow_null=True)
    review_url = serializers.CharField()


class ReviewQuestionSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    question = MemberQuestionSerializer()
    response = serializers.JSONField(allow_null=True)
    state = serializers.CharField(allow_blank=True)
    show_correct = serializers.BooleanField()
    correct_response = serializers.JSONField(allow_null=True)
    fraction = serializers.DecimalField(max_digits=8, decimal_places=7, allow_null=True)
    score = serializers.DecimalField(max_digits=9, decimal_places=3, allow_null=True)
    mark = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    feedback = serializers.ListField(child=serializers.CharField())
    general_feedback = serializers.CharField(allow_blank=True)
    comment = serializers.CharField(allow_blank=True)


class ReviewSerializer(serializers.Serializer):
    attempt = serializers.IntegerField()
    quiz = serializers.IntegerField()
    number = serializers.IntegerField()
    state = serializers.CharField()
    show_score = serializers.BooleanField()
    show_answers = serializers.BooleanField()
    show_feedback = serializers.BooleanField()
    score = serializers.DecimalField(max_digits=9, decimal_places=3, allow_null=True)
    max_score = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    percent = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    passed = serializers.BooleanField(allow_null=True)
    questions = ReviewQuestionSerializer(many=True)
