"""The question bank in the Wagtail admin (exams.quizzes.admin.bank, exams.quizzes.forms):
listing, the per-type forms, validation, versions, categories, preview, permissions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from cms import roles
from exams.quizzes import spec as qspec
from exams.quizzes.models import Attempt, AttemptQuestion, Question, QuestionCategory
from tests.exams.conftest import make_course
from tests.exams.quizzes.conftest import make_category, make_question, make_quiz, spec_for
from tests.factories import UserFactory

D = Decimal
INDEX = "question_bank:index"
ADD = "question_bank:add"


@pytest.fixture
def client():
    """Pages in English, so that the tests read the source strings."""
    english = Client()
    english.cookies["django_language"] = "en"
    return english


@pytest.fixture
def people(org, member_factory):
    return {
        "superuser": UserFactory(username="root", is_superuser=True, is_staff=True),
        "trainer": member_factory(org.province, roles.TRAINERS, username="trainer_q"),
        "manager": member_factory(org.east, roles.MANAGERS, username="manager_q"),
        "member": member_factory(org.branch_a, username="member_q"),
    }


@pytest.fixture
def trainer_client(client, people):
    client.force_login(people["trainer"])
    return client


def listed(response) -> list:
    return list(response.context["object_list"])


def rows(items: list[dict], *, initial: int = 0) -> dict:
    data = {
        "parts-TOTAL_FORMS": str(len(items)),
        "parts-INITIAL_FORMS": str(initial),
        "parts-MIN_NUM_FORMS": "0",
        "parts-MAX_NUM_FORMS": "100",
    }
    for index, item in enumerate(items):
        data.update({f"parts-{index}-{key}": value for key, value in item.items()})
    return data


def question_post(category, *, text="<p>发现火情，第一步应当怎么做？</p>", **fields) -> dict:
    return {
        "category": str(category.pk),
        "name": "",
        "text": text,
        "default_mark": "2",
        "general_feedback": "<p>先报警，再扑救初起火灾。</p>",
        **fields,
    }


def add_url(qtype: str) -> str:
    return reverse(ADD) + f"?type={qtype}"


#: A valid admin POST for each type, and what the stored spec must then hold.
VALID_POSTS = {
    qspec.SINGLE: (
        {},
        rows(
            [
                {"key": "", "text": "拨打 119", "fraction": "100", "feedback": "正确"},
                {"key": "", "text": "先收拾贵重物品", "fraction": "0", "feedback": "<b>不对</b>"},
                {"key": "", "text": "", "fraction": "0", "feedback": ""},
            ]
        ),
    ),
    qspec.MULTI: (
        {},
        rows(
            [
                {"text": "湿毛巾捂住口鼻", "fraction": "50"},
                {"text": "低姿前行", "fraction": "50"},
                {"text": "乘电梯", "fraction": "-100", "feedback": "电梯可能断电"},
            ]
        ),
    ),
    qspec.TRUEFALSE: (
        {"correct": "false", "feedback_true": "错：不能用水", "feedback_false": "对"},
        {},
    ),
    qspec.SHORTANSWER: (
        {"case_sensitive": ""},
        rows(
            [
                {"text": "119", "fraction": "100"},
                {"text": "11*", "fraction": "50", "feedback": "接近"},
            ]
        ),
    ),
    qspec.NUMERICAL: (
        {},
        rows([{"value": "3.5", "tolerance": "0.1", "fraction": "100", "feedback": ""}]),
    ),
    qspec.GAPFILL: (
        {"text": "<p>火警电话是 [[1]]，急救电话是 [[2]]。</p>"},
        rows(
            [
                {"gap": "2", "text": "120", "fraction": "100"},
                {"gap": "1", "text": "119", "fraction": "100"},
            ]
        ),
    ),
    qspec.MATCHING: (
        {},
        rows(
            [
                {"prompt": "火警", "answer": "119"},
                {"prompt": "急救", "answer": "120"},
                {"prompt": "", "answer": "110"},
            ]
        ),
    ),
    qspec.ORDERING: (
        {},
        rows(
            [
                {"text": "报警", "ORDER": "2"},
                {"text": "发现火情", "ORDER": "1"},
                {"text": "疏散", "ORDER": "3"},
            ]
        ),
    ),
    qspec.ESSAY: ({}, {}),
}


def check_stored(qtype: str, spec: qspec.QuestionSpec) -> None:
    if qtype == qspec.SINGLE:
        assert [(c.key, c.text, c.fraction) for c in spec.choices] == [
            ("a", "拨打 119", D(1)),
            ("b", "先收拾贵重物品", D(0)),
        ]
        assert spec.choices[1].feedback == "<b>不对</b>"
    elif qtype == qspec.MULTI:
        assert [c.fraction for c in spec.choices] == [D("0.5"), D("0.5"), D(-1)]
    elif qtype == qspec.TRUEFALSE:
        assert {c.key: c.fraction for c in spec.choices} == {"true": D(0), "false": D(1)}
        assert spec.choices[0].feedback == "错：不能用水"
    elif qtype == qspec.SHORTANSWER:
        assert [(a.text, a.fraction) for a in spec.text_answers] == [
            ("119", D(1)),
            ("11*", D("0.5")),
        ]
        assert spec.case_sensitive is False
    elif qtype == qspec.NUMERICAL:
        answer = spec.numeric_answers[0]
        assert (answer.value, answer.tolerance, answer.fraction) == (D("3.5"), D("0.1"), D(1))
    elif qtype == qspec.GAPFILL:
        assert [(a.gap, a.text) for a in spec.text_answers] == [(1, "119"), (2, "120")]
    elif qtype == qspec.MATCHING:
        assert [(p.key, p.prompt, p.answer) for p in spec.pairs] == [
            ("k1", "火警", "119"),
            ("k2", "急救", "120"),
            ("k3", "", "110"),
        ]
    elif qtype == qspec.ORDERING:
        assert [i.text for i in spec.items] == ["发现火情", "报警", "疏散"]
        assert len({i.key for i in spec.items}) == 3
    assert qspec.correct_response(spec) is not None or qtype == qspec.ESSAY


# --- listing ----------------------------------------------------------------------------


class TestListing:
    def test_search_and_filters_by_category_with_subcategories_type_and_archived(
        self, trainer_client
    ):
        fire = make_category("安全生产", "消防")
        drills = make_category("安全生产", "消防", "演练")
        traffic = make_category("交通")
        extinguisher = make_question(
            category=fire, spec=spec_for(qspec.SINGLE, text="<p>灭火器的使用方法</p>")
        )
        drill = make_question(qspec.ESSAY, category=drills)
        road = make_question(qspec.TRUEFALSE, category=traffic, archived=True)

        everything = trainer_client.get(reverse(INDEX))
        by_text = trainer_client.get(reverse(INDEX), {"q": "灭火器"})
        by_answer = trainer_client.get(reverse(INDEX), {"q": "Gamma"})  # an option's text
        in_fire = trainer_client.get(reverse(INDEX), {"category": fire.pk})
        essays = trainer_client.get(reverse(INDEX), {"qtype": qspec.ESSAY})
        archived = trainer_client.get(reverse(INDEX), {"archived": "true"})

        assert everything.status_code == 200
        assert set(listed(everything)) == {extinguisher, drill, road}
        assert listed(by_text) == [extinguisher]
        assert listed(by_answer) == [extinguisher]
        assert set(listed(in_fire)) == {extinguisher, drill}
        assert listed(essays) == [drill]
        assert listed(archived) == [road]
        assert "安全生产 / 消防 / 演练" in everything.content.decode()

    def test_a_bad_filter_value_is_not_a_server_error(self, trainer_client):
        response = trainer_client.get(reverse(INDEX), {"category": "nope", "qtype": "x"})

        assert response.status_code == 200


# --- create -----------------------------------------------------------------------------


class TestCreate:
    def test_without_a_type_the_trainer_chooses_one_first(self, trainer_client):
        response = trainer_client.get(reverse(ADD))

        assert response.status_code == 200
        page = response.content.decode()
        for qtype in qspec.QUESTION_TYPES:
            assert f"?type={qtype}" in page

    def test_posting_without_a_known_type_is_refused(self, trainer_client):
        category = make_category("Bank")

        response = trainer_client.post(reverse(ADD) + "?type=poll", question_post(category))

        assert response.status_code == 400
        assert "Choose one of the question types below." in response.content.decode()
        assert not Question.objects.exists()

    def test_the_form_of_each_type_renders(self, trainer_client):
        make_category("Bank")
        for qtype in qspec.QUESTION_TYPES:
            response = trainer_client.get(add_url(qtype))
            assert response.status_code == 200, qtype
            assert response.context["form"].qtype == qtype

    @pytest.mark.parametrize("qtype", qspec.QUESTION_TYPES)
    def test_each_type_is_created_as_version_1(self, trainer_client, people, qtype):
        category = make_category("安全生产", "消防")
        fields, parts = VALID_POSTS[qtype]

        response = trainer_client.post(
            add_url(qtype), {**question_post(category, **fields), **parts}
        )

        assert response.status_code == 302, response.context and response.context["form"].errors
        question = Question.objects.get()
        assert (question.qtype, question.category) == (qtype, category)
        assert question.versions.count() == 1
        assert question.current_version.number == 1
        assert question.created_by == people["trainer"]
        spec = question.spec
        assert spec.default_mark == D(2)
        assert spec.general_feedback == "<p>先报警，再扑救初起火灾。</p>"
        check_stored(qtype, spec)
        assert ModelLogEntry.objects.filter(
            object_id=str(question.pk), action="wagtail.create"
        ).exists()

    def test_script_in_the_text_is_stored_without_it(self, trainer_client):
        category = make_category("Bank")
        fields, parts = VALID_POSTS[qspec.SINGLE]
        text = '<p onclick="steal()">题目<script>alert(1)</script><img src=x onerror=alert(1)></p>'

        response = trainer_client.post(
            add_url(qspec.SINGLE),
            {
                **question_post(category, text=text),
                **rows(
                    [
                        {"text": "<b>A</b><script>x()</script>", "fraction": "100"},
                        {"text": "B", "fraction": "0"},
                    ]
                ),
            },
        )

        assert response.status_code == 302
        spec = Question.objects.get().spec
        stored = spec.text + spec.choices[0].text
        assert "<script" not in stored
        assert "onclick" not in stored and "onerror" not in stored
        assert "题目" in spec.text
        assert spec.choices[0].text.startswith("<b>A</b>")

    def test_the_category_can_be_preselected_from_the_listing(self, trainer_client):
        category = make_category("Bank", "Fire")

        response = trainer_client.get(add_url(qspec.ESSAY) + f"&category={category.pk}")

        assert response.context["form"]["category"].value() == category.pk


def _bad(qtype, parts=None, **fields):
    return qtype, fields, parts if parts is not None else VALID_POSTS[qtype][1]


BAD_POSTS = {
    "no correct option": (
        _bad(qspec.SINGLE, rows([{"text": "A", "fraction": "50"}, {"text": "B", "fraction": "0"}])),
        "One option must be fully right (100%).",
    ),
    "fractions not summing": (
        _bad(qspec.MULTI, rows([{"text": "A", "fraction": "50"}, {"text": "B", "fraction": "30"}])),
        "The right options&#x27; grades must add up to 100%.",
    ),
    "empty text": (_bad(qspec.ESSAY, text=""), "This field is required."),
    "text without words": (_bad(qspec.ESSAY, text="<p> </p>"), "The question has no text."),
    "broken editor state": (_bad(qspec.ESSAY, text='{"blocks": 5}'), "This field is required."),
    "grade above 100": (
        _bad(qspec.SINGLE, rows([{"text": "A", "fraction": "150"}, {"text": "B"}])),
        "Ensure this value is less than or equal to 100.",
    ),
    "grade not a number": (
        _bad(qspec.SINGLE, rows([{"text": "A", "fraction": "all"}, {"text": "B"}])),
        "Enter a number.",
    ),
    "one option": (
        _bad(qspec.SINGLE, rows([{"text": "A", "fraction": "100"}])),
        "A choice question needs at least two options.",
    ),
    "gap without markers": (
        _bad(qspec.GAPFILL, text="<p>no gaps here</p>"),
        "Mark the gaps in the text as [[1]], [[2]] and so on.",
    ),
    "gap without an answer": (
        _bad(qspec.GAPFILL, rows([{"gap": "1", "text": "119", "fraction": "100"}])),
        "Gap 2 needs an accepted answer that is fully right.",
    ),
    "true/false undecided": (_bad(qspec.TRUEFALSE, correct=""), "This field is required."),
    "no accepted answer": (
        _bad(qspec.SHORTANSWER, rows([])),
        "A short-answer question needs at least one accepted answer.",
    ),
    "unknown category": (_bad(qspec.ESSAY, category="999999"), "Select a valid choice."),
    "negative tolerance": (
        _bad(qspec.NUMERICAL, rows([{"value": "1", "tolerance": "-1", "fraction": "100"}])),
        "Ensure this value is greater than or equal to 0.",
    ),
    "matching with one pair": (
        _bad(qspec.MATCHING, rows([{"prompt": "A", "answer": "1"}])),
        "A matching question needs at least two pairs.",
    ),
    "too many rows claimed": (
        _bad(qspec.ORDERING, {**rows([{"text": "A"}]), "parts-TOTAL_FORMS": "5000"}),
        "Please submit at most 100 forms.",
    ),
}


@pytest.mark.parametrize("case", BAD_POSTS, ids=list(BAD_POSTS))
def test_a_bad_post_shows_the_reason_and_stores_nothing(trainer_client, case):
    (qtype, fields, parts), message = BAD_POSTS[case]
    category = make_category("Bank")
    data = {**question_post(category, text="<p>[[1]] [[2]]</p>"), **parts}
    if qtype != qspec.GAPFILL:
        data["text"] = "<p>Which one?</p>"
    data.update(fields)

    response = trainer_client.post(add_url(qtype), data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Question.objects.exists()


# --- edit and versions ------------------------------------------------------------------


def _attempt_on(question, user):
    quiz = make_quiz(make_course(), questions=[question])
    attempt = Attempt.objects.create(
        quiz=quiz, user=user, number=1, started_at=timezone.now(), max_score=D(1)
    )
    return AttemptQuestion.objects.create(
        attempt=attempt, position=0, version=question.current_version, mark=D(1)
    )


def edit_post_from(response) -> dict:
    """What the edit form would post back unchanged (rich text as the stored HTML)."""
    form = response.context["form"]
    data = {}
    for field in form:
        value = field.value()
        if value is None or value is False:
            continue
        data[field.html_name] = "on" if value is True else str(value)
    if form.parts is not None:
        management = form.parts.management_form
        for field in management:
            data[field.html_name] = str(field.value())
        for row in form.parts.forms:
            for field in row:
                value = field.value()
                if value not in (None, "") and field.name != "DELETE":
                    data[field.html_name] = str(value)
    return data


class TestEdit:
    def test_saving_a_change_makes_version_2_and_an_attempt_keeps_version_1(
        self, trainer_client, people
    ):
        question = make_question(qspec.SINGLE, category=make_category("Bank"))
        v1 = question.current_version
        shown = _attempt_on(question, people["member"])
        url = reverse("question_bank:edit", args=[question.pk])
        data = edit_post_from(trainer_client.get(url))
        data["text"] = "<p>Edited text</p>"

        response = trainer_client.post(url, data)

        assert response.status_code == 302
        question.refresh_from_db()
        assert question.current_version.number == 2
        assert question.spec.text == "<p>Edited text</p>"
        shown.refresh_from_db()
        assert shown.version_id == v1.pk
        v1.refresh_from_db()
        assert v1.spec["text"] != "<p>Edited text</p>"
        assert ModelLogEntry.objects.filter(
            object_id=str(question.pk), action="wagtail.edit"
        ).exists()

    @pytest.mark.parametrize("qtype", qspec.QUESTION_TYPES)
    def test_saving_unchanged_makes_no_new_version(self, trainer_client, qtype):
        question = make_question(qtype, category=make_category("Bank"))
        url = reverse("question_bank:edit", args=[question.pk])
        page = trainer_client.get(url)
        assert page.status_code == 200

        response = trainer_client.post(url, edit_post_from(page))

        assert response.status_code == 302, response.context and response.context["form"].errors
        assert question.versions.count() == 1

    def test_keys_stay_with_their_rows_and_a_new_row_never_reuses_one(self, trainer_client):
        question = make_question(qspec.SINGLE, category=make_category("Bank"))  # a, b, c
        url = reverse("question_bank:edit", args=[question.pk])
        data = edit_post_from(trainer_client.get(url))
        assert [data[f"parts-{i}-key"] for i in range(3)] == ["a", "b", "c"]
        data["parts-1-DELETE"] = "on"  # b goes
        data["parts-3-text"] = "Delta"  # a blank row filled in
        data["parts-3-fraction"] = "0"
        data["parts-0-text"] = "Alpha, reworded"

        response = trainer_client.post(url, data)

        assert response.status_code == 302
        choices = Question.objects.get().spec.choices
        assert [(c.key, c.text) for c in choices] == [
            ("a", "Alpha, reworded"),
            ("c", "<p>Gamma</p>"),
            ("d", "Delta"),
        ]

    def test_archiving_keeps_the_content(self, trainer_client):
        question = make_question(qspec.ESSAY, category=make_category("Bank"))
        url = reverse("question_bank:edit", args=[question.pk])
        data = edit_post_from(trainer_client.get(url))
        data["archived"] = "on"

        trainer_client.post(url, data)

        question.refresh_from_db()
        assert question.archived is True
        assert question.versions.count() == 1

    def test_the_edit_page_lists_the_versions(self, trainer_client, people):
        question = make_question(qspec.ESSAY, category=make_category("Bank"))
        _attempt_on(question, people["member"])
        url = reverse("question_bank:edit", args=[question.pk])
        data = edit_post_from(trainer_client.get(url))
        data["text"] = "<p>v2</p>"
        trainer_client.post(url, data)

        response = trainer_client.get(url)

        versions = list(response.context["versions"])
        assert [(v.number, v.attempt_count) for v in versions] == [(2, 0), (1, 1)]
        assert "Shown in attempts" in response.content.decode()

    def test_a_bad_edit_changes_nothing(self, trainer_client):
        question = make_question(qspec.SINGLE, category=make_category("Bank"))
        url = reverse("question_bank:edit", args=[question.pk])
        data = edit_post_from(trainer_client.get(url))
        data["parts-0-fraction"] = "10"  # nothing is 100 % any more

        response = trainer_client.post(url, data)

        assert response.status_code == 200
        assert "One option must be fully right (100%)." in response.content.decode()
        assert question.versions.count() == 1


# --- delete -----------------------------------------------------------------------------


class TestDelete:
    def test_a_question_shown_in_an_attempt_is_kept_with_a_message(self, trainer_client, people):
        question = make_question(qspec.SINGLE, category=make_category("Bank"))
        _attempt_on(question, people["member"])
        trainer_client.force_login(people["superuser"])

        response = trainer_client.post(reverse("question_bank:delete", args=[question.pk]))

        assert response.status_code == 302
        assert Question.objects.filter(pk=question.pk).exists()
        assert any("archive it instead" in str(m) for m in get_messages(response.wsgi_request))

    def test_an_unused_question_goes_with_its_versions(self, trainer_client):
        question = make_question(qspec.SINGLE, category=make_category("Bank"))

        response = trainer_client.post(reverse("question_bank:delete", args=[question.pk]))

        assert response.status_code == 302
        assert not Question.objects.exists()


# --- categories -------------------------------------------------------------------------


class TestCategories:
    def test_create_nested_and_list_by_path(self, trainer_client):
        top = make_category("安全生产")

        response = trainer_client.post(
            reverse("question_categories:add"),
            {"name": "消防", "parent": str(top.pk), "description": ""},
        )
        listing = trainer_client.get(reverse("question_categories:index"))

        assert response.status_code == 302
        child = QuestionCategory.objects.get(name="消防")
        assert child.parent == top
        assert "安全生产 / 消防" in listing.content.decode()

    def test_a_category_cannot_move_inside_itself(self, trainer_client):
        top = make_category("A")
        below = make_category("A", "B")

        response = trainer_client.post(
            reverse("question_categories:edit", args=[top.pk]),
            {"name": "A", "parent": str(below.pk), "description": ""},
        )

        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
        top.refresh_from_db()
        assert top.parent is None

    def test_the_same_name_twice_at_the_top_is_refused(self, trainer_client):
        make_category("Fire")

        response = trainer_client.post(
            reverse("question_categories:add"), {"name": "Fire", "parent": "", "description": ""}
        )

        assert response.status_code == 200
        assert QuestionCategory.objects.filter(name="Fire").count() == 1

    def test_deleting_a_category_with_questions_says_why_and_keeps_it(self, trainer_client):
        category = make_category("Full")
        make_question(qspec.ESSAY, category=category)

        response = trainer_client.post(reverse("question_categories:delete", args=[category.pk]))

        assert response.status_code == 302
        assert QuestionCategory.objects.filter(pk=category.pk).exists()
        assert any("still holds questions" in str(m) for m in get_messages(response.wsgi_request))

    def test_deleting_a_category_with_subcategories_keeps_it(self, trainer_client):
        top = make_category("Top")
        make_category("Top", "Child")

        trainer_client.post(reverse("question_categories:delete", args=[top.pk]))

        assert QuestionCategory.objects.filter(pk=top.pk).exists()

    def test_an_empty_category_is_deleted(self, trainer_client):
        category = make_category("Empty")

        trainer_client.post(reverse("question_categories:delete", args=[category.pk]))

        assert not QuestionCategory.objects.filter(pk=category.pk).exists()


# --- preview ----------------------------------------------------------------------------


class TestPreview:
    @pytest.mark.parametrize("qtype", qspec.QUESTION_TYPES)
    def test_shows_the_question_without_any_grading_data(self, trainer_client, qtype):
        question = make_question(qtype, category=make_category("Bank"))

        response = trainer_client.get(reverse("question_bank:preview", args=[question.pk]))

        assert response.status_code == 200
        page = response.content.decode()
        assert question.spec.text.split("[[")[0].removeprefix("<p>")[:8] in page
        for secret in ("SECRETFEEDBACK", "SECRETANSWER", "SECRETGENERAL", "fraction"):
            assert secret not in page
        assert "correct" not in page.lower().replace("correct answers", "")

    def test_options_are_shuffled_as_in_an_attempt(self, trainer_client):
        spec = qspec.QuestionSpec(
            qtype=qspec.SINGLE,
            text="<p>Pick</p>",
            choices=tuple(
                qspec.Choice(key, f"Option-{key}", D(1 if key == "a" else 0)) for key in "abcdefgh"
            ),
        )
        question = make_question(spec=spec, category=make_category("Bank"))
        url = reverse("question_bank:preview", args=[question.pk])

        orders = set()
        for _ in range(6):
            page = trainer_client.get(url).content.decode()
            orders.add(tuple(sorted("abcdefgh", key=lambda k: page.index(f"Option-{k}"))))

        assert len(orders) > 1

    def test_the_trainer_may_show_the_answers(self, trainer_client):
        question = make_question(qspec.SINGLE, category=make_category("Bank"))

        response = trainer_client.get(
            reverse("question_bank:preview", args=[question.pk]), {"answers": "1"}
        )

        page = response.content.decode()
        assert "SECRETFEEDBACK right" in page
        assert "SECRETGENERAL" in page

    def test_an_older_version_can_be_previewed(self, trainer_client):
        question = make_question(qspec.ESSAY, category=make_category("Bank"))
        from exams.quizzes import bank

        bank.question_update(question=question, spec=spec_for(qspec.ESSAY, text="<p>NEW</p>"))

        old = trainer_client.get(
            reverse("question_bank:preview", args=[question.pk]), {"version": "1"}
        )
        missing = trainer_client.get(
            reverse("question_bank:preview", args=[question.pk]), {"version": "9"}
        )

        assert old.status_code == 200
        assert "NEW" not in old.content.decode()
        assert missing.status_code == 404


# --- who may -----------------------------------------------------------------------------


class TestPermissions:
    def urls(self, question, category):
        return [
            reverse(INDEX),
            add_url(qspec.SINGLE),
            reverse("question_bank:edit", args=[question.pk]),
            reverse("question_bank:preview", args=[question.pk]),
            reverse("question_bank:delete", args=[question.pk]),
            reverse("question_categories:index"),
            reverse("question_categories:edit", args=[category.pk]),
        ]

    @pytest.mark.parametrize("who", ["trainer", "superuser"])
    def test_trainers_and_superusers_work_on_the_bank(self, client, people, who):
        category = make_category("Bank")
        question = make_question(category=category)
        client.force_login(people[who])

        for url in self.urls(question, category):
            assert client.get(url).status_code == 200, url
        home = client.get(reverse("wagtailadmin_home")).content.decode()
        assert reverse(INDEX) in home
        assert reverse("question_categories:index") in home

    def test_a_manager_gets_the_admin_permission_denied_answer(self, client, people):
        category = make_category("Bank")
        question = make_question(category=category)
        client.force_login(people["manager"])

        for url in self.urls(question, category):
            response = client.get(url)
            assert response.status_code == 302, url
            assert response["Location"] == reverse("wagtailadmin_home"), url
        denied = client.post(add_url(qspec.ESSAY), question_post(category))
        home = client.get(reverse("wagtailadmin_home")).content.decode()

        assert denied.status_code == 302
        assert Question.objects.count() == 1
        assert reverse(INDEX) not in home

    def test_a_member_is_sent_to_the_admin_login(self, client, people):
        category = make_category("Bank")
        question = make_question(category=category)
        client.force_login(people["member"])

        for url in self.urls(question, category):
            response = client.get(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith(reverse("wagtailadmin_login")), url
