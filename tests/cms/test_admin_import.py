"""Importing members in the Wagtail admin: upload → preview → confirm."""

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from cms import roles
from cms.admin_views.imports import SESSION_KEY
from cms.models import MemberProfile
from tests.factories import UserFactory

from .import_files import HEADER_ZH, csv_bytes, xlsx_bytes

User = get_user_model()


@pytest.fixture
def client():
    """Pages in English, so that the tests read the source strings, not translations."""
    english = Client()
    english.cookies["django_language"] = "en"
    return english


@pytest.fixture
def admin_user(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


def upload(client, content: bytes, name: str = "members.csv"):
    return client.post(reverse("cms_member_import"), {"file": SimpleUploadedFile(name, content)})


def confirm(client, mode: str):
    return client.post(reverse("cms_member_import_confirm"), {"mode": mode})


GOOD = [
    ["alice", "Alice", "BR-A", "member", "alice@example.org", ""],
    ["bob", "Bob", "BR-B", "trainer", "", ""],
]
MIXED = [*GOOD, ["carl", "Carl", "NOPE", "member", "", ""]]


class TestUploadPreviewConfirm:
    def test_good_file_goes_through_preview_to_import(self, client, org, admin_user):
        client.force_login(admin_user)

        uploaded = upload(client, csv_bytes(GOOD))
        preview = client.get(uploaded["Location"])
        written_by_preview = User.objects.filter(username="alice").exists()
        done = confirm(client, "all")

        assert uploaded.status_code == 302
        assert uploaded["Location"] == reverse("cms_member_import_preview")
        assert preview.status_code == 200
        assert preview.context["valid_count"] == 2 and preview.context["report"].is_clean
        assert not written_by_preview
        assert done.status_code == 302 and done["Location"] == reverse("members:index")
        assert MemberProfile.objects.get(user__username="alice").unit == org.branch_a
        assert User.objects.get(username="bob").groups.get().name == roles.TRAINERS
        assert SESSION_KEY not in client.session

    def test_xlsx_with_chinese_header(self, client, org, admin_user):
        client.force_login(admin_user)

        upload(client, xlsx_bytes([["zw", "张伟", "BR-A", "学员", "", ""]], HEADER_ZH), "成员.xlsx")
        confirm(client, "all")

        assert MemberProfile.objects.get(user__username="zw").full_name == "张伟"

    def test_preview_lists_bad_rows_and_disables_import_all(self, client, org, admin_user):
        client.force_login(admin_user)

        upload(client, csv_bytes(MIXED))
        preview = client.get(reverse("cms_member_import_preview"))

        html = preview.content.decode()
        assert preview.context["valid_count"] == 2
        assert [row.line for row in preview.context["invalid_rows"]] == [4]
        assert "NOPE" in html
        # "Import all" is disabled and looks secondary; the usable button is the main one
        assert 'value="all" class="button button-secondary" disabled' in html
        assert 'value="valid" class="button">' in html

    def test_import_all_with_bad_rows_writes_nothing(self, client, org, admin_user):
        client.force_login(admin_user)
        upload(client, csv_bytes(MIXED))

        response = confirm(client, "all")

        assert response.status_code == 302
        assert response["Location"] == reverse("cms_member_import_preview")
        assert not User.objects.filter(username__in=["alice", "bob", "carl"]).exists()

    def test_import_only_the_valid_rows(self, client, org, admin_user):
        client.force_login(admin_user)
        upload(client, csv_bytes(MIXED))

        confirm(client, "valid")

        assert set(
            User.objects.filter(profile__isnull=False).values_list("username", flat=True)
        ) == {
            "alice",
            "bob",
        }

    def test_rows_are_kept_on_the_server_not_in_the_form(self, client, org, admin_user):
        client.force_login(admin_user)
        upload(client, csv_bytes(GOOD))

        response = client.post(
            reverse("cms_member_import_confirm"),
            {"mode": "all", "rows": '[{"username": "intruder"}]', "token": "x" * 30},
        )

        assert response.status_code == 302
        assert not User.objects.filter(username="intruder").exists()
        assert User.objects.filter(username="alice").exists()

    def test_confirm_without_an_upload_says_so(self, client, org, admin_user):
        client.force_login(admin_user)

        response = confirm(client, "all")

        assert response.status_code == 302
        assert response["Location"] == reverse("cms_member_import")


class TestBadFiles:
    @pytest.mark.parametrize(
        "content, name",
        [
            (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "members.csv"),
            (b"PK\x03\x04broken", "members.xlsx"),
            (b"", "members.csv"),
            (b"name,colour\nx,y\n", "members.csv"),
        ],
    )
    def test_bad_file_shows_a_message_not_an_error_page(
        self, client, org, admin_user, content, name
    ):
        client.force_login(admin_user)

        response = upload(client, content, name)

        assert response.status_code == 200
        assert response.context["form"].errors["file"]
        assert SESSION_KEY not in client.session

    def test_missing_columns_are_named_on_the_page(self, client, org, admin_user):
        client.force_login(admin_user)

        response = upload(client, csv_bytes([["a", "A"]], header=["username", "full name"]))

        assert "unit code" in response.content.decode()

    def test_wrong_extension(self, client, org, admin_user):
        client.force_login(admin_user)

        response = upload(client, b"%PDF-1.4", "members.pdf")

        assert response.status_code == 200
        assert response.context["form"].errors["file"]


class TestPermissions:
    def test_member_is_sent_to_the_login_page(self, client, org, member_factory):
        client.force_login(member_factory(org.branch_a))

        response = client.get(reverse("cms_member_import"))

        assert response.status_code == 302
        assert "login" in response["Location"]

    def test_trainer_is_refused(self, client, org, member_factory):
        client.force_login(member_factory(org.province, roles.TRAINERS))

        page = client.get(reverse("cms_member_import"))
        confirmed = confirm(client, "all")

        # Wagtail turns PermissionDenied in its admin into a redirect to the dashboard.
        for response in (page, confirmed):
            assert response.status_code in (302, 403)
            assert response.get("Location") in (None, reverse("wagtailadmin_home"))

    def test_manager_rows_outside_their_subtree_are_refused(self, client, org, member_factory):
        client.force_login(member_factory(org.branch_a, roles.MANAGERS))

        upload(client, csv_bytes(GOOD))
        preview = client.get(reverse("cms_member_import_preview"))
        confirm(client, "valid")

        assert [row.line for row in preview.context["invalid_rows"]] == [3]
        assert "out_of_scope" in {p.code for p in preview.context["invalid_rows"][0].errors}
        assert User.objects.filter(username="alice").exists()
        assert not User.objects.filter(username="bob").exists()

    def test_a_stored_import_belongs_to_its_uploader(self, client, org, member_factory):
        manager = member_factory(org.branch_a, roles.MANAGERS)
        other = member_factory(org.branch_a, roles.MANAGERS)
        client.force_login(manager)
        upload(client, csv_bytes(GOOD[:1]))
        token = client.session[SESSION_KEY]

        client.force_login(other)
        session = client.session
        session[SESSION_KEY] = token
        session.save()
        response = confirm(client, "all")

        assert response["Location"] == reverse("cms_member_import")
        assert not User.objects.filter(username="alice").exists()
