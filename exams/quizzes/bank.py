"""Writes to the question bank: categories and questions, each edit a new version."""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.html import strip_tags
from django.utils.text import Truncator

from . import spec as qspec
from .models import Question, QuestionCategory, QuestionVersion
from .validation import spec_errors

NAME_LENGTH = 80


def category_ensure_path(
    *, names: Sequence[str], parent: QuestionCategory | None = None
) -> QuestionCategory:
    """The category at ``parent / names[0] / names[1] …``, created where missing."""
    names = [name.strip()[:200] for name in names if name and name.strip()]
    if not names and parent is None:
        raise ValidationError("A category path needs at least one name.")
    node = parent
    for name in names:
        node, _created = QuestionCategory.objects.get_or_create(parent=node, name=name)
    return node


def category_descendant_ids(*, category: QuestionCategory) -> list[int]:
    """``category`` and every category below it (the bank holds few categories)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in QuestionCategory.objects.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found, todo = [], [category.pk]
    while todo:
        pk = todo.pop()
        if pk in found:
            continue
        found.append(pk)
        todo.extend(children.get(pk, []))
    return found


def question_search_text(spec: qspec.QuestionSpec) -> str:
    parts = [spec.text, spec.general_feedback]
    parts += [choice.text for choice in spec.choices]
    parts += [answer.text for answer in spec.text_answers]
    parts += [f"{pair.prompt} {pair.answer}" for pair in spec.pairs]
    parts += [item.text for item in spec.items]
    return re.sub(r"\s+", " ", strip_tags(" ".join(parts))).strip()


def question_default_name(spec: qspec.QuestionSpec) -> str:
    if spec.name.strip():
        return spec.name.strip()[:255]
    text = re.sub(r"\[\[\d+\]\]", "___", strip_tags(spec.text))
    return Truncator(re.sub(r"\s+", " ", text).strip()).chars(NAME_LENGTH) or "—"


def _check(spec: qspec.QuestionSpec) -> None:
    errors = spec_errors(spec)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def question_create(
    *,
    category: QuestionCategory,
    spec: qspec.QuestionSpec,
    user: AbstractBaseUser | None = None,
) -> Question:
    """A new question with its first version. Raises ``ValidationError`` for a spec that
    ``validation.spec_errors`` refuses."""
    _check(spec)
    question = Question.objects.create(
        category=category,
        qtype=spec.qtype,
        name=question_default_name(spec),
        search_text=question_search_text(spec),
        created_by=user if user is not None and user.is_authenticated else None,
    )
    version = QuestionVersion.objects.create(
        question=question, number=1, spec=qspec.spec_to_dict(spec), created_by=question.created_by
    )
    question.current_version = version
    question.save(update_fields=["current_version"])
    return question


@transaction.atomic
def question_update(
    *,
    question: Question,
    spec: qspec.QuestionSpec,
    category: QuestionCategory | None = None,
    user: AbstractBaseUser | None = None,
    archived: bool | None = None,
) -> QuestionVersion:
    """Make ``spec`` the question's content: a new version when it differs from the
    current one (attempts keep the version they showed). The type cannot change.
    ``archived`` (when given) keeps the question from being drawn again, or lets it be."""
    _check(spec)
    if spec.qtype != question.qtype:
        raise ValidationError("A question's type cannot change; create a new question.")
    question = Question.objects.select_for_update().get(pk=question.pk)
    data = qspec.spec_to_dict(spec)
    current = question.current_version
    if current is None or current.spec != data:
        last = question.versions.order_by("-number").values_list("number", flat=True).first()
        current = QuestionVersion.objects.create(
            question=question,
            number=(last or 0) + 1,
            spec=data,
            created_by=user if user is not None and user.is_authenticated else None,
        )
    question.current_version = current
    question.name = question_default_name(spec)
    question.search_text = question_search_text(spec)
    if category is not None:
        question.category = category
    if archived is not None:
        question.archived = archived
    question.save()
    return current


@transaction.atomic
def question_delete(*, question: Question) -> None:
    """Delete a question and its versions. Raises ``ProtectedError`` (and changes nothing)
    when a quiz uses it or an attempt showed one of its versions: archive it instead."""
    question = Question.objects.select_for_update().get(pk=question.pk)
    question.current_version = None
    question.save(update_fields=["current_version"])
    question.delete()


def category_delete(*, category: QuestionCategory) -> None:
    """Delete an empty category. Raises ``ProtectedError`` when it still holds questions or
    subcategories, or a quiz draws from it."""
    category.delete()
