"""The bank's services (exams.quizzes.bank): categories, questions and their versions."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError
from django.utils import timezone

from exams.quizzes import bank
from exams.quizzes import spec as qspec
from exams.quizzes.models import (
    Attempt,
    AttemptQuestion,
    Question,
    QuestionCategory,
    QuestionVersion,
)
from tests.exams.conftest import make_course
from tests.exams.quizzes.conftest import make_category, make_question, make_quiz, spec_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


class TestCategories:
    def test_ensure_path_creates_what_is_missing_once(self):
        first = bank.category_ensure_path(names=["安全生产", " 消防 ", ""])
        again = bank.category_ensure_path(names=["安全生产", "消防"])

        assert first == again
        assert first.path == "安全生产 / 消防"
        assert QuestionCategory.objects.count() == 2

    def test_ensure_path_needs_a_name(self):
        with pytest.raises(ValidationError):
            bank.category_ensure_path(names=["", "  "])

    def test_descendants_include_the_category_and_everything_below(self):
        top = make_category("T")
        child = make_category("T", "C")
        grandchild = make_category("T", "C", "G")
        other = make_category("O")

        ids = bank.category_descendant_ids(category=top)

        assert set(ids) == {top.pk, child.pk, grandchild.pk}
        assert other.pk not in ids

    def test_a_category_with_questions_or_children_is_not_deleted(self):
        full = make_category("Full")
        make_question(qspec.ESSAY, category=full)
        parent = make_category("Parent")
        make_category("Parent", "Child")

        for category in (full, parent):
            with pytest.raises(ProtectedError):
                bank.category_delete(category=category)

        assert QuestionCategory.objects.filter(pk__in=[full.pk, parent.pk]).count() == 2


class TestQuestions:
    def test_create_stores_version_1_with_name_and_search_text(self):
        user = UserFactory()
        spec = spec_for(qspec.SINGLE, text="<p>灭火器 <b>使用</b></p>")

        question = bank.question_create(category=make_category("B"), spec=spec, user=user)

        assert question.current_version.number == 1
        assert question.spec == spec
        assert question.created_by == user
        assert question.name == spec.name
        assert "灭火器 使用" in question.search_text and "Gamma" in question.search_text

    def test_create_refuses_an_invalid_spec_and_stores_nothing(self):
        spec = qspec.QuestionSpec(qtype=qspec.SINGLE, text="<p>?</p>")

        with pytest.raises(ValidationError) as error:
            bank.question_create(category=make_category("B"), spec=spec)

        assert "A choice question needs at least two options." in error.value.messages
        assert not Question.objects.exists()
        assert not QuestionVersion.objects.exists()

    def test_update_appends_a_version_only_when_the_content_changes(self):
        question = make_question(qspec.ESSAY)

        same = bank.question_update(question=question, spec=question.spec)
        changed = bank.question_update(
            question=question, spec=spec_for(qspec.ESSAY, text="<p>new</p>")
        )

        assert same.number == 1
        assert changed.number == 2
        question.refresh_from_db()
        assert question.current_version == changed
        assert question.versions.count() == 2

    def test_update_moves_and_archives(self):
        question = make_question(qspec.ESSAY)
        elsewhere = make_category("Elsewhere")

        bank.question_update(
            question=question, spec=question.spec, category=elsewhere, archived=True
        )

        question.refresh_from_db()
        assert (question.category, question.archived) == (elsewhere, True)

    def test_update_refuses_a_type_change_and_an_invalid_spec(self):
        question = make_question(qspec.ESSAY)

        with pytest.raises(ValidationError):
            bank.question_update(question=question, spec=spec_for(qspec.SINGLE))
        with pytest.raises(ValidationError):
            bank.question_update(
                question=question, spec=qspec.QuestionSpec(qtype=qspec.ESSAY, text="")
            )

        assert question.versions.count() == 1

    def test_an_attempt_keeps_its_version_after_an_edit(self, member_factory, org):
        question = make_question(qspec.SINGLE)
        v1 = question.current_version
        quiz = make_quiz(make_course(), questions=[question])
        attempt = Attempt.objects.create(
            quiz=quiz,
            user=member_factory(org.branch_a),
            number=1,
            started_at=timezone.now(),
            max_score=Decimal(1),
        )
        shown = AttemptQuestion.objects.create(
            attempt=attempt, position=0, version=v1, mark=Decimal(1)
        )

        bank.question_update(question=question, spec=spec_for(qspec.SINGLE, text="<p>v2</p>"))

        shown.refresh_from_db()
        assert shown.version == v1
        assert shown.version.spec_obj.text != "<p>v2</p>"

    def test_delete_removes_an_unused_question_with_its_versions(self):
        question = make_question(qspec.ESSAY)
        bank.question_update(question=question, spec=spec_for(qspec.ESSAY, text="<p>2</p>"))

        bank.question_delete(question=question)

        assert not Question.objects.exists()
        assert not QuestionVersion.objects.exists()

    def test_delete_refuses_a_question_a_quiz_uses_and_changes_nothing(self):
        question = make_question(qspec.ESSAY)
        make_quiz(make_course(), questions=[question])

        with pytest.raises(ProtectedError):
            bank.question_delete(question=question)

        question.refresh_from_db()
        assert question.current_version is not None
