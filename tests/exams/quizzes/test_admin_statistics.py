"""The quiz statistics pages of the admin (helper H), against hand-computed figures.

The data set: three questions worth 1, 2 and 1 (max 4), five graded attempts with the
fractions below, totals 4, 2, 2, 1, 0 → 100, 50, 50, 25, 0 %.

    attempt  q1  q2   q3   total
    A        1   1    1    4
    B        1   0.5  0    2
    C        0   0.5  1    2
    D        1   0    0    1
    E        0   0    0    0

By hand (x = the question's score, y = the rest of the attempt):
- mean 45 %, median 50 %; distribution in tens: [1, 0, 1, 0, 0, 2, 0, 0, 0, 1];
- q1: facility 3/5 = 60 %; r(x, y) = 0.4 / √(1.2 · 6.8) = 14.00 % → low discrimination;
- q2: facility 4/10 = 40 %; r = 2 / √(2.8 · 2) = 84.52 %;
- q3: facility 2/5 = 40 %; r = 1.2 / √(1.2 · 5.2) = 48.04 %.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from cms import roles
from exams.quizzes.bank import question_create
from exams.quizzes.models import Attempt, AttemptQuestion

from .test_marking import assert_admin_denied, essay_spec, make_bank, make_quiz, single_spec

FRACTIONS = {
    "A": ("1", "1", "1"),
    "B": ("1", "0.5", "0"),
    "C": ("0", "0.5", "1"),
    "D": ("1", "0", "0"),
    "E": ("0", "0", "0"),
}
MARKS = (Decimal(1), Decimal(2), Decimal(1))


@pytest.fixture
def data_set(org, member_factory):
    bank = make_bank()
    q2 = question_create(category=bank.category, spec=single_spec(text="<p>Second</p>"))
    q3 = question_create(category=bank.category, spec=single_spec(text="<p>Third</p>"))
    questions = (bank.single, q2, q3)
    quiz = make_quiz(questions, pass_percent="50")
    now = timezone.now()
    members = {}
    for index, (name, fractions) in enumerate(FRACTIONS.items()):
        user = member_factory(org.branch_a, username=f"secret-name-{name.lower()}")
        members[name] = user
        scores = [Decimal(f) * mark for f, mark in zip(fractions, MARKS, strict=True)]
        total = sum(scores, Decimal(0))
        attempt = Attempt.objects.create(
            quiz=quiz,
            user=user,
            number=1,
            state=Attempt.State.GRADED,
            started_at=now - timedelta(hours=1),
            submitted_at=now - timedelta(minutes=50 - index),
            max_score=Decimal(4),
            score=total,
            percent=total * 25,
            passed=total * 25 >= 50,
        )
        # positions shuffled per attempt: statistics are per question, not per position
        for position, (question, fraction, mark, score) in enumerate(
            zip(questions, fractions, MARKS, scores, strict=True)
        ):
            AttemptQuestion.objects.create(
                attempt=attempt,
                position=(position + index) % 3 + 1,
                version=question.current_version,
                mark=mark,
                fraction=Decimal(fraction),
                score=score,
            )
    # an attempt in progress and one waiting for marking count for nothing but their tallies
    busy = member_factory(org.branch_a, username="busy")
    Attempt.objects.create(quiz=quiz, user=busy, number=1, started_at=now, max_score=Decimal(4))
    essay_q = question_create(category=bank.category, spec=essay_spec())
    waiting = Attempt.objects.create(
        quiz=quiz,
        user=members["A"],
        number=2,
        state=Attempt.State.NEEDS_GRADING,
        started_at=now,
        submitted_at=now,
        max_score=Decimal(4),
        score=Decimal(0),
    )
    AttemptQuestion.objects.create(
        attempt=waiting, position=1, version=essay_q.current_version, mark=Decimal(4),
        response={"text": "pending"},
    )  # fmt: skip
    return SimpleNamespace(quiz=quiz, questions=questions, members=members)


@pytest.fixture
def trainer(org, member_factory):
    return member_factory(org.province, role=roles.TRAINERS, username="trainer")


def _row(html: str, question) -> str:
    match = re.search(rf'<tr data-question="{question.pk}">(.*?)</tr>', html, re.S)
    assert match, f"no row for question {question.pk}"
    return match.group(1)


def _figure(html: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}">([^<]*)<', html)
    assert match, f"no figure {name}"
    return match.group(1).strip()


def test_the_statistics_match_the_hand_computed_figures(data_set, trainer, client):
    # given the fixed data set, when the trainer opens the quiz's statistics
    client.force_login(trainer)
    response = client.get(reverse("quizzes_statistics:quiz", args=[data_set.quiz.pk]))
    assert response.status_code == 200
    html = response.text
    # then the summary is over the five graded attempts
    assert _figure(html, "count") == "5"
    assert _figure(html, "mean") == "45.00"
    assert _figure(html, "median") == "50.00"
    # and the distribution table has the counts per band
    bands = [int(n) for n in re.findall(r'data-band="\d+">(\d+)<', html)]
    assert bands == [1, 0, 1, 0, 0, 2, 0, 0, 0, 1]
    # and each question has its facility and discrimination
    q1, q2, q3 = (_row(html, q) for q in data_set.questions)
    assert (_figure(q1, "count"), _figure(q1, "facility"), _figure(q1, "discrimination")) == (
        "5",
        "60.00",
        "14.00",
    )
    assert (_figure(q2, "facility"), _figure(q2, "discrimination")) == ("40.00", "84.52")
    assert (_figure(q3, "facility"), _figure(q3, "discrimination")) == ("40.00", "48.04")
    # and only q1 is flagged (discrimination below 25 %)
    figures = response.context["figures"]
    flagged = {row.question.pk: row.stats.warnings for row in figures.questions}
    assert flagged == {
        data_set.questions[0].pk: ("low_discrimination",),
        data_set.questions[1].pk: (),
        data_set.questions[2].pk: (),
    }
    assert "help-warning" in q1 and "help-warning" not in q2 + q3
    assert (figures.waiting, figures.in_progress) == (1, 1)


def test_the_chart_holds_numbers_and_nothing_about_members(data_set, trainer, client):
    client.force_login(trainer)
    html = client.get(reverse("quizzes_statistics:quiz", args=[data_set.quiz.pk])).text
    svgs = re.findall(r'<svg [^>]*class="quizzes-chart".*?</svg>', html, re.S)
    assert len(svgs) == 1
    svg = svgs[0]
    # every text in the chart is a number
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert texts and all(re.fullmatch(r"\d+", text.strip()) for text in texts)
    # no names, usernames or question texts
    for user in data_set.members.values():
        assert user.username not in svg
        assert user.profile.full_name not in svg
    assert "secret-name" not in svg and "Second" not in svg
    # the bars' heights follow the counts: the band with 2 is twice as tall as one with 1
    heights = [int(h) for h in re.findall(r'<rect [^>]*height="(\d+)"', svg)]
    assert heights[5] == 2 * heights[0] and heights[1] == 0


def test_the_listing_shows_quizzes_with_their_attempt_counts(data_set, trainer, client):
    client.force_login(trainer)
    response = client.get(reverse("quizzes_statistics:index"))
    assert response.status_code == 200
    row = next(q for q in response.context["quizzes"] if q.pk == data_set.quiz.pk)
    assert (row.graded, row.waiting, row.in_progress) == (5, 1, 1)
    assert reverse("quizzes_statistics:quiz", args=[data_set.quiz.pk]) in response.text


def test_a_quiz_without_attempts_shows_empty_figures(trainer, client):
    bank = make_bank()
    quiz = make_quiz([bank.single])
    client.force_login(trainer)
    response = client.get(reverse("quizzes_statistics:quiz", args=[quiz.pk]))
    assert response.status_code == 200
    assert _figure(response.text, "count") == "0"
    assert _figure(response.text, "mean") == "—"


def test_each_question_row_has_a_regrade_preview_form(data_set, trainer, client):
    client.force_login(trainer)
    html = client.get(reverse("quizzes_statistics:quiz", args=[data_set.quiz.pk])).text
    row = _row(html, data_set.questions[1])
    assert f'action="{reverse("quizzes_marking:regrade")}"' in row
    assert 'value="preview"' in row
    assert f'name="question" value="{data_set.questions[1].pk}"' in row


def test_an_unknown_quiz_is_not_found(trainer, client):
    client.force_login(trainer)
    assert client.get(reverse("quizzes_statistics:quiz", args=[999_999])).status_code == 404


def test_managers_get_permission_denied(data_set, org, member_factory, client):
    client.force_login(member_factory(org.east, role=roles.MANAGERS, username="boss"))
    for url in (
        reverse("quizzes_statistics:index"),
        reverse("quizzes_statistics:quiz", args=[data_set.quiz.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == reverse("wagtailadmin_home")
        home = client.get(response["Location"])
        assert any(m.level_tag == "error" for m in home.context["messages"])


def test_members_get_no_admin(data_set, client):
    client.force_login(data_set.members["A"])
    response = client.get(reverse("quizzes_statistics:quiz", args=[data_set.quiz.pk]))
    assert_admin_denied(response)


def test_superusers_see_the_statistics(data_set, client, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(root)
    response = client.get(reverse("quizzes_statistics:quiz", args=[data_set.quiz.pk]))
    assert response.status_code == 200
