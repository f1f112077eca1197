"""Importing and exporting questions in the Wagtail admin: upload → preview → confirm."""

import io
import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail import hooks

from cms import roles
from exams.quizzes import spec as qspec
from exams.quizzes.importing import MAX_FILE_BYTES, UPLOAD_FOLDER, import_preview
from exams.quizzes.models import Question, QuestionCategory
from tests.factories import UserFactory, make_member

from .test_importing import (
    AIKEN_BANK,
    BAD_LINE,
    CALCULATED_LINE,
    FIRE,
    GIFT_BANK,
    GIFT_WITH_A_BAD_QUESTION,
    MOODLE_XML_WITH_CALCULATED,
    SAFETY,
    SCRIPT_GIFT,
    table_counts,
    xlsx_bytes,
)

UPLOAD = reverse("quizzes_import:upload")
CONFIRM = reverse("quizzes_import:confirm")


@pytest.fixture
def client():
    """Pages in English, so that the tests read the source strings, not translations."""
    english = Client()
    english.cookies["django_language"] = "en"
    return english


@pytest.fixture
def trainer(org):
    return make_member(org.province, roles.TRAINERS, username="trainer")


@pytest.fixture
def other_trainer(org):
    return make_member(org.province, roles.TRAINERS, username="trainer2")


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


def upload(client, data: bytes, name: str = "bank.txt", **fields):
    return client.post(UPLOAD, {"file": SimpleUploadedFile(name, data), **fields})


def token_of(response) -> str:
    return response.context["token"]


def confirm(client, token: str):
    return client.post(CONFIRM, {"token": token})


@pytest.fixture(autouse=True)
def _no_waiting_uploads():
    """Each test starts with no upload waiting (the media folder lives for the whole run)."""
    for name in waiting_uploads():
        default_storage.delete(f"{UPLOAD_FOLDER}/{name}")


def waiting_uploads() -> list[str]:
    try:
        return default_storage.listdir(UPLOAD_FOLDER)[1]
    except FileNotFoundError:
        return []


class TestUploadPreviewConfirm:
    def test_preview_writes_nothing_and_confirm_imports_once(self, client, trainer):
        client.force_login(trainer)
        before = table_counts()

        preview = upload(client, GIFT_BANK)
        after_preview = table_counts()
        done = confirm(client, token_of(preview))
        after_confirm = table_counts()
        again = confirm(client, token_of(preview))

        assert preview.status_code == 200
        assert preview.context["question_count"] == 8
        assert after_preview == before == (0, 0, 0)
        assert done.status_code == 302 and done["Location"] == UPLOAD
        assert after_confirm[0] == 8
        assert again.status_code == 409
        assert "no longer waiting" in again.content.decode()
        assert table_counts() == after_confirm
        assert waiting_uploads() == []

    def test_the_preview_page_shows_counts_and_the_skipped_question(self, client, trainer):
        client.force_login(trainer)

        preview = upload(client, GIFT_WITH_A_BAD_QUESTION)

        html = preview.content.decode()
        assert preview.status_code == 200
        assert "3 questions can be imported." in html
        assert "1 question cannot be imported and will be skipped." in html
        problems = re.search(r"<table[^>]*data-import-problems.*?</table>", html, re.S).group(0)
        assert f"<td>{BAD_LINE}</td>" in problems
        assert "Import the 3 good questions, skip the rest" in html

    def test_the_good_questions_are_imported_and_the_bad_one_skipped(self, client, trainer):
        client.force_login(trainer)

        confirm(client, token_of(upload(client, GIFT_WITH_A_BAD_QUESTION)))
        page = client.get(UPLOAD)

        assert sorted(Question.objects.values_list("name", flat=True)) == [
            "good1",
            "good2",
            "good3",
        ]
        assert "Imported 3 question(s)" in page.content.decode()
        assert "skipped 1." in page.content.decode()

    def test_into_a_chosen_category(self, client, trainer):
        client.force_login(trainer)
        target = QuestionCategory.objects.create(name="Chosen")

        confirm(client, token_of(upload(client, GIFT_BANK, into=target.pk)))

        fire = QuestionCategory.objects.get(name=FIRE)
        assert fire.path == f"Chosen / {SAFETY} / {FIRE}"
        assert fire.questions.count() == 7

    def test_the_upload_waits_outside_any_served_url(self, client, trainer, settings):
        client.force_login(trainer)

        upload(client, AIKEN_BANK)
        [name] = waiting_uploads()
        served = client.get(f"{settings.MEDIA_URL}{UPLOAD_FOLDER}/{name}", follow=True)

        assert served.status_code == 404

    def test_cancel_forgets_the_upload(self, client, trainer):
        client.force_login(trainer)
        token = token_of(upload(client, AIKEN_BANK))

        cancelled = client.post(reverse("quizzes_import:cancel"), {"token": token})
        late = confirm(client, token)

        assert cancelled.status_code == 302 and waiting_uploads() == []
        assert late.status_code == 409 and Question.objects.count() == 0


class TestTokens:
    def test_another_users_token_is_refused(self, client, trainer, other_trainer):
        client.force_login(trainer)
        token = token_of(upload(client, AIKEN_BANK))
        client.force_login(other_trainer)

        refused = confirm(client, token)

        assert refused.status_code == 403
        assert "uploaded by someone else" in refused.content.decode()
        assert Question.objects.count() == 0 and len(waiting_uploads()) == 1

    def test_a_tampered_token_is_refused(self, client, trainer):
        client.force_login(trainer)
        token = token_of(upload(client, AIKEN_BANK))
        head, _, signature = token.rpartition(":")

        refused = confirm(client, f"{head}:{signature[::-1]}")
        empty = confirm(client, "")

        assert refused.status_code == 400 and empty.status_code == 400
        assert "not valid" in refused.content.decode()
        assert Question.objects.count() == 0

    def test_an_expired_token_is_refused(self, client, trainer):
        client.force_login(trainer)
        token = token_of(upload(client, AIKEN_BANK))

        with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=1)):
            client.force_login(trainer)
            refused = confirm(client, token)

        assert refused.status_code == 400
        assert "expired" in refused.content.decode()
        assert Question.objects.count() == 0


class TestBadFiles:
    def _refused(self, client, trainer, data: bytes, name: str, **fields):
        client.force_login(trainer)
        response = upload(client, data, name, **fields)
        errors = response.context["form"].errors.get("file", [])
        return response, errors

    def test_wrong_format_claimed(self, client, trainer):
        response, errors = self._refused(client, trainer, GIFT_BANK, "bank.xml", fmt="moodlexml")

        assert response.status_code == 400 and "not a well-formed XML file" in errors[0]
        assert table_counts() == (0, 0, 0) and waiting_uploads() == []

    def test_empty_file(self, client, trainer):
        response, errors = self._refused(client, trainer, b"", "empty.txt")

        assert response.status_code == 400
        assert errors == ["The submitted file is empty."]

    def test_blank_file(self, client, trainer):
        response, errors = self._refused(client, trainer, b"\n \n", "blank.txt")

        assert response.status_code == 400 and errors == ["The file is empty."]

    def test_truncated_xml(self, client, trainer):
        data = MOODLE_XML_WITH_CALCULATED[:200]

        response, errors = self._refused(client, trainer, data, "cut.xml")

        assert response.status_code == 400 and "it may be truncated" in errors[0]

    def test_truncated_workbook(self, client, trainer):
        whole = xlsx_bytes([["题型 type", "题目 question"], ["单选", "Q?"]])

        response, errors = self._refused(client, trainer, whole[:300], "cut.xlsx")

        assert response.status_code == 400
        assert errors == ["The workbook is damaged or truncated; it cannot be opened."]

    def test_only_bad_questions_shows_them(self, client, trainer):
        response, errors = self._refused(client, trainer, b"::bad::None right {~a ~b}\n", "bad.txt")

        assert response.status_code == 400
        assert errors == ["No question in this file can be imported."]
        assert "<td>1</td>" in response.content.decode()

    def test_gb18030_gift_is_imported(self, client, trainer):
        client.force_login(trainer)

        preview = upload(client, GIFT_BANK.decode().encode("gb18030"), "gbk.txt")
        confirm(client, token_of(preview))

        assert preview.status_code == 200
        assert Question.objects.filter(name="fire-call").get().spec.text.count("发生火灾") == 1

    def test_unknown_types_are_listed(self, client, trainer):
        client.force_login(trainer)

        preview = upload(client, MOODLE_XML_WITH_CALCULATED, "moodle.xml")

        html = preview.content.decode()
        unsupported = re.search(r"<ul data-import-unsupported>.*?</ul>", html, re.S).group(0)
        assert "calculated: 1" in unsupported
        assert f"<td>{CALCULATED_LINE}</td>" in html
        confirm(client, token_of(preview))
        assert Question.objects.count() == 1

    def test_script_is_cleaned(self, client, trainer):
        client.force_login(trainer)

        confirm(client, token_of(upload(client, SCRIPT_GIFT)))

        spec = Question.objects.get().spec
        assert "<script" not in spec.text and "onerror" not in spec.text

    def test_a_file_over_the_limit_is_refused(self, client, trainer):
        too_big = GIFT_BANK + b"\n" * (MAX_FILE_BYTES - len(GIFT_BANK) + 1)

        response, errors = self._refused(client, trainer, too_big, "big.txt")

        assert response.status_code == 400 and "larger than" in errors[0]


class TestPermissions:
    URLS = [
        ("get", UPLOAD),
        ("post", CONFIRM),
        ("get", reverse("quizzes_import:template")),
        ("get", reverse("quizzes_import:export")),
    ]

    @pytest.mark.parametrize(("method", "url"), URLS)
    def test_a_manager_is_sent_to_the_admin_home_with_wagtails_message(
        self, client, org, method, url
    ):
        client.force_login(make_member(org.province, roles.MANAGERS, username="manager"))

        response = getattr(client, method)(url)

        assert response.status_code == 302
        assert response["Location"] == reverse("wagtailadmin_home")
        assert [str(m).strip() for m in get_messages(response.wsgi_request)] == [
            "Sorry, you do not have permission to access this area."
        ]

    @pytest.mark.parametrize(("method", "url"), URLS)
    def test_a_member_is_sent_to_the_admin_login(self, client, org, method, url):
        client.force_login(make_member(org.branch_a, roles.MEMBERS, username="member"))

        response = getattr(client, method)(url)

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("wagtailadmin_login"))

    def test_a_manager_posting_a_file_stores_nothing(self, client, org):
        client.force_login(make_member(org.province, roles.MANAGERS, username="manager"))

        response = upload(client, AIKEN_BANK)

        assert response.status_code == 302 and waiting_uploads() == []

    @pytest.mark.parametrize("who", ["trainer", "superuser"])
    def test_trainers_and_superusers_may_import(self, db, client, request, who):
        client.force_login(request.getfixturevalue(who))

        assert client.get(UPLOAD).status_code == 200

    def test_the_menu_item_shows_for_trainers_only(self, rf, trainer, org):
        manager = make_member(org.province, roles.MANAGERS, username="manager")
        items = [hook() for hook in hooks.get_hooks("register_quizzes_menu_item")]
        ours = [item for item in items if item.url.startswith(UPLOAD)]

        shown = {}
        for user in (trainer, manager):
            request = rf.get("/admin/")
            request.user = user
            shown[user.username] = [item.is_shown(request) for item in ours]

        assert len(ours) == 2
        assert shown == {"trainer": [True, True], "manager": [False, False]}


class TestTemplateAndExport:
    def test_template_download(self, client, trainer):
        from openpyxl import load_workbook

        client.force_login(trainer)

        response = client.get(reverse("quizzes_import:template"))

        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        assert load_workbook(io.BytesIO(response.content)).worksheets

    def test_export_form_and_download(self, client, trainer):
        client.force_login(trainer)
        confirm(client, token_of(upload(client, GIFT_BANK)))
        safety = QuestionCategory.objects.get(name=SAFETY)

        form = client.get(reverse("quizzes_import:export"))
        download = client.get(
            reverse("quizzes_import:export"),
            {"category": safety.pk, "fmt": "moodlexml", "include_subcategories": "on"},
        )

        assert form.status_code == 200 and safety.path in form.content.decode()
        assert download.status_code == 200
        assert "attachment" in download["Content-Disposition"]
        again = import_preview(filename="x.xml", data=download.content)
        assert again.fmt == "moodlexml" and len(again.questions) == 8
        assert {q.spec.qtype for q in again.questions} >= {qspec.MATCHING, qspec.ESSAY}

    def test_export_of_a_missing_category_is_a_400(self, client, trainer):
        client.force_login(trainer)

        response = client.get(reverse("quizzes_import:export"), {"category": 999, "fmt": "gift"})

        assert response.status_code == 400
        assert response.context["form"].errors["category"]
