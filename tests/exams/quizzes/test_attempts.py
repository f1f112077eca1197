"""Attempts through the services: start, draw, save, navigate, submit, result."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.http import Http404

from exams.quizzes import spec as qspec
from exams.quizzes.models import Attempt, AttemptQuestion, QuizResult
from exams.quizzes.selectors import (
    attempt_of_member,
    attempt_page,
    attempt_review,
    quiz_member_state,
)
from exams.quizzes.services.attempts import (
    AnswerInput,
    AttemptRefused,
    attempt_goto_page,
    attempt_start,
    attempt_submit,
    responses_save,
)
from tests.exams.conftest import T0, at

from .conftest import (
    AUTO_TYPES,
    answers_for,
    make_category,
    make_question,
    make_quiz,
    submit_right,
    submit_wrong,
)

D = Decimal
pytestmark = pytest.mark.django_db


# --- start ---------------------------------------------------------------------------


def test_start_creates_an_attempt_with_every_slot_in_order(quiz_world):
    # given a quiz with one fixed question of every auto-graded type
    # when alice starts it
    attempt, created = attempt_start(user=quiz_world.alice, quiz_id=quiz_world.quiz.pk, now=T0)
    # then a first attempt holds each question's current version, in slot order, on one page
    assert created is True
    assert attempt.number == 1
    assert attempt.state == Attempt.State.IN_PROGRESS
    assert attempt.started_at == T0
    assert attempt.deadline is None
    rows = list(attempt.questions.order_by("position"))
    assert [row.version.question.qtype for row in rows] == list(AUTO_TYPES)
    assert [row.position for row in rows] == list(range(1, len(AUTO_TYPES) + 1))
    assert {row.page for row in rows} == {0}
    assert all(
        row.version_id == quiz_world.questions[row.version.question.qtype].current_version_id
        for row in rows
    )
    assert attempt.max_score == D(len(AUTO_TYPES))


def test_start_again_resumes_the_attempt_in_progress(quiz_world):
    # given alice has an attempt in progress
    first, _ = attempt_start(user=quiz_world.alice, quiz_id=quiz_world.quiz.pk, now=T0)
    # when she starts again (another tab, another device)
    again, created = attempt_start(user=quiz_world.alice, quiz_id=quiz_world.quiz.pk, now=at(60))
    # then she gets the same attempt
    assert created is False
    assert again.pk == first.pk
    assert Attempt.objects.filter(user=quiz_world.alice).count() == 1


def test_deadline_is_start_plus_time_limit_capped_at_close(quiz_world):
    # given a 30-minute quiz that closes 10 minutes after alice starts, and one without close
    q = quiz_world.questions
    capped = make_quiz(
        quiz_world.quiz_course,
        questions=[q["single"]],
        time_limit_minutes=30,
        closes_at=at(600),
    )
    plain = make_quiz(quiz_world.quiz_course, questions=[q["single"]], time_limit_minutes=30)
    # when she starts both
    a1, _ = attempt_start(user=quiz_world.alice, quiz_id=capped.pk, now=T0)
    a2, _ = attempt_start(user=quiz_world.alice, quiz_id=plain.pk, now=T0)
    # then the deadlines are the close time, and start + 30 min
    assert a1.deadline == at(600)
    assert a2.deadline == T0 + timedelta(minutes=30)


def test_random_slots_draw_distinct_current_unarchived_questions(quiz_world):
    # given a category tree: 3 questions on top, 2 in a subcategory, 1 archived
    top = make_category("Random", "Top")
    sub = make_category("Random", "Top", "Sub")
    pool = [make_question("single", category=top) for _ in range(3)]
    pool += [make_question("truefalse", category=sub) for _ in range(2)]
    archived = make_question("single", category=top, archived=True)
    fixed = pool[0]
    quiz = make_quiz(quiz_world.quiz_course, questions=[fixed], draws=[(top, 4)])
    # when alice starts it
    attempt, _ = attempt_start(user=quiz_world.alice, quiz_id=quiz.pk, now=T0)
    # then the 4 random questions are the other 4 of the tree (never the fixed one twice,
    # never the archived one)
    drawn = [row.version.question_id for row in attempt.questions.order_by("position")]
    assert drawn[0] == fixed.pk
    assert len(drawn) == 5
    assert len(set(drawn)) == 5
    assert set(drawn) == {q.pk for q in pool}
    assert archived.pk not in drawn


def test_random_slot_without_subcategories_draws_only_from_its_category(quiz_world):
    top = make_category("Flat", "Top")
    sub = make_category("Flat", "Top", "Sub")
    mine = [make_question("single", category=top) for _ in range(2)]
    make_question("single", category=sub)
    quiz = make_quiz(quiz_world.quiz_course, draws=[(top, 2, {"include_subcategories": False})])
    attempt, _ = attempt_start(user=quiz_world.alice, quiz_id=quiz.pk, now=T0)
    assert {row.version.question_id for row in attempt.questions.all()} == {q.pk for q in mine}


def test_too_few_questions_to_draw_is_refused_and_stores_nothing(quiz_world):
    # given a quiz drawing 3 from a category of 2
    cat = make_category("Small")
    make_question("single", category=cat)
    make_question("single", category=cat)
    quiz = make_quiz(quiz_world.quiz_course, draws=[(cat, 3)])
    # when alice starts it, then a 409 tells her to see the trainer; no attempt exists
    with pytest.raises(AttemptRefused) as refused:
        attempt_start(user=quiz_world.alice, quiz_id=quiz.pk, now=T0)
    assert refused.value.status == 409
    assert refused.value.code == "no_questions"
    assert "Small" in refused.value.message
    assert not Attempt.objects.filter(quiz=quiz).exists()


def test_a_quiz_without_questions_is_refused(quiz_world):
    quiz = make_quiz(quiz_world.quiz_course)
    with pytest.raises(AttemptRefused) as refused:
        attempt_start(user=quiz_world.alice, quiz_id=quiz.pk, now=T0)
    assert refused.value.code == "no_questions"


def test_shuffle_changes_order_per_attempt_but_keeps_the_set(quiz_world):
    # given a quiz of 8 single-choice questions with shuffling on
    cat = make_category("Shuffle")
    questions = [make_question("single", category=cat) for _ in range(8)]
    quiz = make_quiz(
        quiz_world.quiz_course, questions=questions, shuffle_questions=True, shuffle_options=True
    )
    # when members start it
    orders = set()
    option_orders = set()
    for n in range(6):
        member = quiz_world.alice if n == 0 else _member(quiz_world, n)
        attempt, _ = attempt_start(user=member, quiz_id=quiz.pk, now=T0)
        rows = list(attempt.questions.order_by("position"))
        orders.add(tuple(row.version.question_id for row in rows))
        option_orders.update(tuple(row.option_order) for row in rows)
        assert sorted(q for q in orders.copy().pop()) == sorted(q.pk for q in questions)
        assert all(sorted(row.option_order) == ["a", "b", "c"] for row in rows)
    # then orders differ between attempts (6 draws of 8! alike: practically impossible)
    assert len(orders) > 1
    assert len(option_orders) > 1


def _member(world, n):
    from tests.factories import make_member

    return make_member(world.org.branch_a, username=f"member{n}")


def test_questions_per_page_paginates(quiz_world):
    quiz = make_quiz(
        quiz_world.quiz_course,
        questions=[quiz_world.questions[t] for t in AUTO_TYPES],
        questions_per_page=3,
    )
    attempt, _ = attempt_start(user=quiz_world.alice, quiz_id=quiz.pk, now=T0)
    pages = list(attempt.questions.order_by("position").values_list("page", flat=True))
    assert pages == [0, 0, 0, 1, 1, 1, 2, 2]
    view = attempt_page(attempt=attempt, page=2, now=T0)
    assert view.page_count == 3
    assert [q["position"] for q in view.questions] == [7, 8]


# --- refusals at start ----------------------------------------------------------------


def test_member_outside_the_audience_gets_404(quiz_world):
    with pytest.raises(AttemptRefused) as refused:
        attempt_start(user=quiz_world.west, quiz_id=quiz_world.quiz.pk, now=T0)
    assert (refused.value.status, refused.value.code) == (404, "not_open")


def test_unknown_or_malformed_quiz_id_is_404(quiz_world):
    for quiz_id in (999999, quiz_world.quiz_course.pk, "1", None, True):
        with pytest.raises(AttemptRefused) as refused:
            attempt_start(user=quiz_world.alice, quiz_id=quiz_id, now=T0)
        assert refused.value.status == 404


def test_unpublished_quiz_is_refused(quiz_world):
    quiz_world.quiz.unpublish()
    with pytest.raises(AttemptRefused) as refused:
        attempt_start(user=quiz_world.alice, quiz_id=quiz_world.quiz.pk, now=T0)
    assert refused.value.status == 404
    assert not Attempt.objects.exists()


def test_inactive_member_is_refused_403(quiz_world):
    alice = quiz_world.alice
    alice.is_active = False
    alice.save()
    with pytest.raises(AttemptRefused) as refused:
        attempt_start(user=alice, quiz_id=quiz_world.quiz.pk, now=T0)
    assert (refused.value.status, refused.value.code) == (403, "inactive")


def test_quiz_locked_by_course_order_is_refused(quiz_world):
    # given a course with its order enforced: a reading lesson, then the quiz
    from tests.exams.conftest import make_course, make_reading_lesson

    course = make_course(enforce_order=True)
    make_reading_lesson(course)
    quiz = make_quiz(course, questions=[quiz_world.questions["single"]])
    # when alice starts the quiz before the reading, then it is locked (409)
    with pytest.raises(AttemptRefused) as refused:
        attempt_start(user=quiz_world.alice, quiz_id=quiz.pk, now=T0)
    assert (refused.value.status, refused.value.code) == (409, "locked")


def test_before_open_and_after_close_are_refused(quiz_world):
    q = quiz_world.questions["single"]
    later = make_quiz(quiz_world.quiz_course, questions=[q], opens_at=at(3600))
    closed = make_quiz(quiz_world.quiz_course, questions=[q], closes_at=at(-1))
    with pytest.raises(AttemptRefused) as refused:
        attempt_start(user=quiz_world.alice, quiz_id=later.pk, now=T0)
    assert (refused.value.status, refused.value.code) == (409, "not_yet_open")
    with pytest.raises(AttemptRefused) as refused:
        attempt_start(user=quiz_world.alice, quiz_id=closed.pk, now=T0)
    assert (refused.value.status, refused.value.code) == (409, "closed")
    # and at the opening time it starts
    attempt, created = attempt_start(user=quiz_world.alice, quiz_id=later.pk, now=at(3600))
    assert created


def test_attempts_allowed_is_enforced(quiz_world):
    quiz = make_quiz(
        quiz_world.quiz_course, questions=[quiz_world.questions["single"]], attempts_allowed=2
    )
    submit_wrong(quiz_world.alice, quiz, now=at(0))
    second = submit_wrong(quiz_world.alice, quiz, now=at(60))
    assert second.number == 2
    with pytest.raises(AttemptRefused) as refused:
        attempt_start(user=quiz_world.alice, quiz_id=quiz.pk, now=at(120))
    assert (refused.value.status, refused.value.code) == (409, "no_attempts_left")
    state = quiz_member_state(user=quiz_world.alice, quiz=quiz, now=at(120))
    assert state.can_start is False
    assert state.attempts_left == 0
    assert "2" in state.refusal


# --- save -----------------------------------------------------------------------------


def test_save_stores_responses_and_reports_time(quiz_world):
    quiz = make_quiz(
        quiz_world.quiz_course,
        questions=[quiz_world.questions["single"], quiz_world.questions["multi"]],
        time_limit_minutes=10,
    )
    attempt, _ = attempt_start(user=quiz_world.alice, quiz_id=quiz.pk, now=T0)
    outcome = responses_save(
        user=quiz_world.alice,
        attempt_id=attempt.pk,
        answers=[
            AnswerInput(position=1, response={"choice": "a"}, seq=1),
            AnswerInput(position=2, response={"choices": ["a"]}, seq=1),
        ],
        now=at(100),
    )
    assert outcome.saved == (1, 2)
    assert outcome.stale == ()
    assert outcome.remaining_seconds == 500
    assert outcome.deadline == at(600)
    row = AttemptQuestion.objects.get(attempt=attempt, position=1)
    assert (row.response, row.response_seq, row.saved_at) == ({"choice": "a"}, 1, at(100))


def test_an_autosave_is_one_locked_read_and_one_update_per_answer(
    quiz_world, django_assert_num_queries
):
    # the busiest quiz request (bench/exam_day.py): a savepoint, the locked attempt with
    # its quiz's two settings, one conditional update; a stale replay adds one read
    attempt, _ = attempt_start(user=quiz_world.alice, quiz_id=quiz_world.quiz.pk, now=T0)
    answer = AnswerInput(position=1, response={"choice": "a"}, seq=1)

    with django_assert_num_queries(4):
        responses_save(user=quiz_world.alice, attempt_id=attempt.pk, answers=[answer], now=at(5))
    with django_assert_num_queries(5):
        outcome = responses_save(
            user=quiz_world.alice, attempt_id=attempt.pk, answers=[answer], now=at(6)
        )

    assert outcome.stale == (1,)


def test_stale_seq_is_ignored_and_newer_wins(quiz_world):
    attempt, _ = attempt_start(user=quiz_world.alice, quiz_id=quiz_world.quiz.pk, now=T0)
    alice = quiz_world.alice

    def save(response, seq):
        return responses_save(
            user=alice,
            attempt_id=attempt.pk,
            answers=[AnswerInput(position=1, response=response, seq=seq)],
            now=at(10),
        )

    assert save({"choice": "b"}, 5).saved == (1,)
    # an offline queue replays an older answer, and the same one again
    assert save({"choice": "a"}, 4).stale == (1,)
    assert save({"choice": "b"}, 5).stale == (1,)
    row = AttemptQuestion.objects.get(attempt=attempt, position=1)
    assert (row.response, row.response_seq) == ({"choice": "b"}, 5)
    # within one save, the highest seq of a position wins
    outcome = responses_save(
        user=alice,
        attempt_id=attempt.pk,
        answers=[
            AnswerInput(position=1, response={"choice": "c"}, seq=7),
            AnswerInput(position=1, response={"choice": "a"}, seq=6),
        ],
        now=at(20),
    )
    assert outcome.saved == (1,)
    row.refresh_from_db()
    assert (row.response, row.response_seq) == ({"choice": "c"}, 7)


@pytest.mark.parametrize(
    "answers",
    [
        [AnswerInput(position=99, response={"choice": "a"}, seq=1)],
        [AnswerInput(position="1", response={"choice": "a"}, seq=1)],
        [AnswerInput(position=1, response=["a"], seq=1)],
        [AnswerInput(position=1, response="a", seq=1)],
        [AnswerInput(position=1, response=None, seq=1)],
        [AnswerInput(position=1, response={"choice": "a"}, seq=-1)],
        [AnswerInput(position=1, response={"choice": "a"}, seq=True)],
        [AnswerInput(position=1, response={"text": "x" * 20_000}, seq=1)],
        [AnswerInput(position=1, response={"choice": "a"}, seq=1)] * 101,
        [{"position": 1, "response": {}, "seq": 1}],
    ],
    ids=[
        "no-such-position",
        "position-not-int",
        "list-response",
        "string-response",
        "null-response",
        "negative-seq",
        "bool-seq",
        "too-large",
        "too-many",
        "not-an-answer",
    ],
)
def test_bad_answers_are_400_and_store_nothing(quiz_world, answers):
    attempt, _ = attempt_start(user=quiz_world.alice, quiz_id=quiz_world.quiz.pk, now=T0)
    good = AnswerInput(position=2, response={"choices": ["a"]}, seq=1)
    with pytest.raises(AttemptRefused) as refused:
        responses_save(
            user=quiz_world.alice, attempt_id=attempt.pk, answers=[good, *answers], now=at(5)
        )
    assert (refused.value.status, refused.value.code) == (400, "invalid")
    assert refused.value.message
    assert not AttemptQuestion.objects.filter(attempt=attempt, response__isnull=False).exists()


def test_save_to_a_finished_attempt_is_409(quiz_world):
    attempt = submit_wrong(quiz_world.alice, quiz_world.quiz, now=T0)
    with pytest.raises(AttemptRefused) as refused:
        responses_save(
            user=quiz_world.alice,
            attempt_id=attempt.pk,
            answers=[AnswerInput(position=1, response={"choice": "a"}, seq=9)],
            now=at(5),
        )
    assert (refused.value.status, refused.value.code) == (409, "finished")


# --- navigation -------------------------------------------------------------------------


def _paged_quiz(world, navigation):
    return make_quiz(
        world.quiz_course,
        questions=[world.questions[t] for t in ("single", "multi", "truefalse")],
        questions_per_page=1,
        navigation=navigation,
    )


def test_sequential_navigation_never_goes_back(quiz_world):
    quiz = _paged_quiz(quiz_world, "sequential")
    alice = quiz_world.alice
    attempt, _ = attempt_start(user=alice, quiz_id=quiz.pk, now=T0)
    attempt = attempt_goto_page(user=alice, attempt_id=attempt.pk, page=1, now=at(5))
    assert attempt.current_page == 1
    with pytest.raises(AttemptRefused) as refused:
        attempt_goto_page(user=alice, attempt_id=attempt.pk, page=0, now=at(6))
    assert (refused.value.status, refused.value.code) == (409, "wrong_page")
    with pytest.raises(AttemptRefused) as refused:
        responses_save(
            user=alice,
            attempt_id=attempt.pk,
            answers=[AnswerInput(position=1, response={"choice": "a"}, seq=1)],
            now=at(7),
        )
    assert refused.value.code == "wrong_page"
    with pytest.raises(AttemptRefused) as refused:
        attempt_page(attempt=attempt, page=0, now=at(7))
    assert refused.value.code == "wrong_page"
    # the current and later pages are fine
    saved = responses_save(
        user=alice,
        attempt_id=attempt.pk,
        answers=[AnswerInput(position=2, response={"choices": ["a"]}, seq=1)],
        now=at(8),
    )
    assert saved.saved == (2,)
    assert attempt_page(attempt=attempt, now=at(8)).page == 1


def test_free_navigation_goes_anywhere_and_is_remembered(quiz_world):
    quiz = _paged_quiz(quiz_world, "free")
    alice = quiz_world.alice
    attempt, _ = attempt_start(user=alice, quiz_id=quiz.pk, now=T0)
    attempt_goto_page(user=alice, attempt_id=attempt.pk, page=2, now=at(5))
    attempt = attempt_goto_page(user=alice, attempt_id=attempt.pk, page=0, now=at(6))
    assert attempt.current_page == 0
    resumed, created = attempt_start(user=alice, quiz_id=quiz.pk, now=at(7))
    assert not created and resumed.current_page == 0
    for bad in (3, -1, "1", None):
        with pytest.raises(AttemptRefused) as refused:
            attempt_goto_page(user=alice, attempt_id=attempt.pk, page=bad, now=at(8))
        assert refused.value.status == 400


# --- submit and result ---------------------------------------------------------------------


def test_submit_right_answers_grades_full_marks_and_passes(quiz_world):
    attempt = submit_right(quiz_world.alice, quiz_world.quiz, now=at(30))
    assert attempt.state == Attempt.State.GRADED
    assert attempt.closed_by == Attempt.Closed.MEMBER
    assert attempt.submitted_at == at(30)
    assert attempt.score == attempt.max_score == D(len(AUTO_TYPES))
    assert attempt.percent == D("100")
    assert attempt.passed is True
    assert all(row.fraction == 1 and row.score == row.mark for row in attempt.questions.all())
    result = QuizResult.objects.get(quiz=quiz_world.quiz, user=quiz_world.alice)
    assert (result.percent, result.passed, result.attempts) == (D("100"), True, 1)
    assert result.first_passed_at == at(30)


def test_submit_wrong_answers_fails(quiz_world):
    attempt = submit_wrong(quiz_world.alice, quiz_world.quiz, now=at(30))
    assert (attempt.score, attempt.percent, attempt.passed) == (D(0), D(0), False)
    result = QuizResult.objects.get(quiz=quiz_world.quiz, user=quiz_world.alice)
    assert (result.passed, result.first_passed_at) == (False, None)


def test_partial_score_and_pass_mark(quiz_world):
    # given a quiz of 2 questions worth 1 and 3 (slot mark), pass mark 70 %
    q = quiz_world.questions
    quiz = make_quiz(quiz_world.quiz_course, questions=[q["single"], q["truefalse"]])
    quiz.pass_percent = D("70")
    quiz.save()
    from exams.quizzes.models import QuizSlot

    QuizSlot.objects.filter(quiz=quiz, question=q["truefalse"]).update(mark=D("3"))
    alice = quiz_world.alice
    attempt, _ = attempt_start(user=alice, quiz_id=quiz.pk, now=T0)
    assert attempt.max_score == D("4")
    # when she gets single 25 % (option c) and true/false right
    responses_save(
        user=alice,
        attempt_id=attempt.pk,
        answers=[
            AnswerInput(position=1, response={"choice": "c"}, seq=1),
            AnswerInput(position=2, response={"choice": "true"}, seq=1),
        ],
        now=at(5),
    )
    attempt = attempt_submit(user=alice, attempt_id=attempt.pk, now=at(6))
    # then 3.25 / 4 = 81.25 %: passed
    assert attempt.score == D("3.25")
    assert attempt.percent == D("81.25")
    assert attempt.passed is True


def test_option_keys_not_in_the_question_score_zero(quiz_world):
    attempt, _ = attempt_start(user=quiz_world.alice, quiz_id=quiz_world.quiz.pk, now=T0)
    forged = [
        AnswerInput(position=1, response={"choice": "zzz"}, seq=1),
        AnswerInput(position=2, response={"choices": ["a", "a", "b", "x", "y"]}, seq=1),
        AnswerInput(position=3, response={"choice": "maybe"}, seq=1),
        AnswerInput(position=7, response={"matches": {"p9": "Torch", "p1": "Nope"}}, seq=1),
        AnswerInput(position=8, response={"order": ["i9", "i1"]}, seq=1),
    ]
    responses_save(user=quiz_world.alice, attempt_id=attempt.pk, answers=forged, now=at(5))
    attempt = attempt_submit(user=quiz_world.alice, attempt_id=attempt.pk, now=at(6))
    fractions = dict(attempt.questions.values_list("position", "fraction"))
    assert fractions[1] == 0
    assert fractions[2] == 1  # a and b (duplicates count once); unknown keys add nothing
    assert fractions[3] == 0
    assert fractions[7] == 0
    assert fractions[8] == 0


def test_essay_waits_for_marking(quiz_world):
    attempt = submit_right(quiz_world.alice, quiz_world.essay_quiz, now=at(30))
    assert attempt.state == Attempt.State.NEEDS_GRADING
    assert (attempt.percent, attempt.passed) == (None, None)
    row = attempt.questions.get()
    assert (row.fraction, row.score) == (None, None)
    assert not QuizResult.objects.filter(quiz=quiz_world.essay_quiz).exists()


def test_empty_essay_is_graded_zero(quiz_world):
    attempt = submit_wrong(quiz_world.alice, quiz_world.essay_quiz, now=at(30))
    assert attempt.state == Attempt.State.GRADED
    assert attempt.percent == 0


def test_grading_uses_the_version_shown_not_the_edited_question(quiz_world):
    from exams.quizzes import bank

    alice = quiz_world.alice
    single = quiz_world.questions["single"]
    quiz = make_quiz(quiz_world.quiz_course, questions=[single])
    attempt, _ = attempt_start(user=alice, quiz_id=quiz.pk, now=T0)
    # the trainer makes "b" the right answer while alice sits the quiz
    spec = single.spec
    choices = (
        qspec.Choice("a", "<p>Alpha</p>", D(0)),
        qspec.Choice("b", "<p>Beta</p>", D(1)),
    )
    bank.question_update(
        question=single, spec=qspec.QuestionSpec(**{**vars(spec), "choices": choices})
    )
    responses_save(user=alice, attempt_id=attempt.pk, answers=answers_for(attempt), now=at(5))
    attempt = attempt_submit(user=alice, attempt_id=attempt.pk, now=at(6))
    assert attempt.percent == 100


@pytest.mark.parametrize(
    ("method", "expected"),
    [("highest", D("100")), ("average", D("50")), ("first", D("0")), ("last", D("100"))],
)
def test_result_by_grading_method(quiz_world, method, expected):
    quiz = make_quiz(
        quiz_world.quiz_course,
        questions=[quiz_world.questions["single"]],
        grading_method=method,
    )
    submit_wrong(quiz_world.alice, quiz, now=at(0))
    submit_right(quiz_world.alice, quiz, now=at(60))
    result = QuizResult.objects.get(quiz=quiz, user=quiz_world.alice)
    assert result.percent == expected
    assert result.attempts == 2
    assert result.passed is (expected >= 60)
    # "first" never passed: no pass date; the others passed with the second attempt
    assert result.first_passed_at == (None if method in ("first", "average") else at(60))


def test_member_state_lists_attempts_and_resume(quiz_world):
    alice = quiz_world.alice
    quiz = quiz_world.quiz
    state = quiz_member_state(user=alice, quiz=quiz, now=T0)
    assert (state.can_start, state.refusal, state.attempts, state.in_progress) == (
        True,
        "",
        [],
        None,
    )
    assert state.attempts_left is None
    attempt, _ = attempt_start(user=alice, quiz_id=quiz.pk, now=T0)
    state = quiz_member_state(user=alice, quiz=quiz, now=at(5))
    assert state.in_progress.pk == attempt.pk
    assert state.can_start is False and state.refusal == ""
    outsider = quiz_member_state(user=quiz_world.west, quiz=quiz, now=at(5))
    assert outsider.can_start is False and outsider.refusal


def test_attempt_of_member_is_404_for_others(quiz_world):
    attempt, _ = attempt_start(user=quiz_world.alice, quiz_id=quiz_world.quiz.pk, now=T0)
    assert attempt_of_member(user=quiz_world.alice, attempt_id=attempt.pk).pk == attempt.pk
    for user, attempt_id in (
        (quiz_world.bob, attempt.pk),
        (quiz_world.alice, attempt.pk + 1000),
        (quiz_world.alice, str(attempt.pk)),
    ):
        with pytest.raises(Http404):
            attempt_of_member(user=user, attempt_id=attempt_id)


def test_review_of_an_attempt_in_progress_shows_nothing(quiz_world):
    attempt, _ = attempt_start(user=quiz_world.alice, quiz_id=quiz_world.quiz.pk, now=T0)
    review = attempt_review(attempt=attempt, now=at(5))
    assert (review.show_score, review.show_answers, review.show_feedback) == (False,) * 3
    assert review.questions == []
    assert review.score is None
