"""The member importer: reading files, checking rows, writing members."""

import io
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation

from cms import roles
from cms.importing import ImportRefused, member_import_parse, member_import_write
from cms.models import MemberProfile
from tests.factories import UserFactory

from .import_files import HEADER_ZH, csv_bytes, member_rows, xlsx_bytes

User = get_user_model()


@pytest.fixture(autouse=True)
def _english():
    """Messages in English, so that the tests read the source strings, not translations."""
    with translation.override("en"):
        yield


def parse(content: bytes, filename: str = "members.csv", user=None):
    return member_import_parse(content=content, filename=filename, user=user)


def errors_by_line(report) -> dict[int, list[str]]:
    return {row.line: [p.code for p in row.errors] for row in report.invalid_rows}


def file_error_codes(report) -> list[str]:
    return [p.code for p in report.file_errors]


class TestGoodFiles:
    def test_csv_with_english_header_imports_members_with_roles(self, org):
        content = csv_bytes(
            [
                ["alice", "Alice Li", "BR-A", "member", "alice@example.org", "13800138000"],
                ["bob", "Bob Wang", "BR-B", "Trainers", "", "+86 138-0013-8001"],
                ["carol", "Carol Zhao", "EAST", "manager", "carol@example.org", ""],
            ]
        )

        report = parse(content)
        result = member_import_write(rows=report.rows, user=None)

        assert report.is_clean and result.created == 3 and result.skipped == 0
        alice = User.objects.get(username="alice")
        assert alice.profile.unit == org.branch_a
        assert alice.profile.full_name == "Alice Li"
        assert alice.profile.phone == "13800138000"
        assert alice.email == "alice@example.org"
        assert not alice.has_usable_password()
        assert list(alice.groups.values_list("name", flat=True)) == [roles.MEMBERS]
        assert User.objects.get(username="bob").groups.get().name == roles.TRAINERS
        assert User.objects.get(username="carol").groups.get().name == roles.MANAGERS

    def test_xlsx_with_chinese_header_and_chinese_roles(self, org):
        content = xlsx_bytes(
            [
                ["zhangwei", "张伟", "BR-A", "学员", "zw@example.org", 13800138000],
                ["wangfang", "王芳", "BR-W", "培训师", None, None],
                ["lina", "李娜", "WEST", "管理员", "", ""],
            ],
            header=HEADER_ZH,
        )

        report = parse(content, "成员.xlsx")
        member_import_write(rows=report.rows, user=None)

        assert report.is_clean
        zhang = MemberProfile.objects.get(user__username="zhangwei")
        assert (zhang.full_name, zhang.unit, zhang.phone) == ("张伟", org.branch_a, "13800138000")
        assert User.objects.get(username="wangfang").groups.get().name == roles.TRAINERS
        assert User.objects.get(username="lina").groups.get().name == roles.MANAGERS

    def test_csv_with_bom_and_chinese_header(self, org):
        content = b"\xef\xbb\xbf" + csv_bytes([["u1", "甲", "BR-A", "", "", ""]], HEADER_ZH)

        report = parse(content)

        assert report.is_clean
        assert report.rows[0].full_name == "甲"

    def test_gb18030_csv_from_chinese_excel(self, org):
        content = csv_bytes(
            [["zhaolei", "赵磊", "BR-B", "学员", "", "13900000000"]],
            HEADER_ZH,
            encoding="gb18030",
        )

        report = parse(content)
        member_import_write(rows=report.rows, user=None)

        assert report.is_clean
        assert MemberProfile.objects.get(user__username="zhaolei").full_name == "赵磊"

    def test_only_required_columns_and_blank_lines(self, org):
        content = b"username;full name;unit code\n\nann;Ann;BR-A\n"

        report = parse(content)

        assert report.is_clean
        assert [(r.line, r.username, r.role) for r in report.rows] == [(3, "ann", "")]


class TestRowErrors:
    def test_each_bad_row_gets_its_spreadsheet_row_number_and_reason(self, org):
        UserFactory(username="Taken")
        content = csv_bytes(
            [
                ["ok1", "Good", "BR-A", "member", "ok1@example.org", ""],  # row 2
                ["x1", "Unit?", "NOPE", "member", "", ""],  # row 3
                ["ok1", "Again", "BR-A", "member", "", ""],  # row 4
                ["taken", "Exists", "BR-A", "member", "", ""],  # row 5
                ["x2", "Mail", "BR-A", "member", "not-an-email", ""],  # row 6
                ["", "No name", "BR-A", "member", "", ""],  # row 7
                ["x3", "Role", "BR-A", "boss", "", ""],  # row 8
                ["x4", "Phone", "BR-A", "member", "", "12ab"],  # row 9
                ["x 5", "Bad username", "BR-A", "member", "", ""],  # row 10
            ]
        )

        report = parse(content)

        assert not report.is_clean
        assert errors_by_line(report) == {
            3: ["unknown_unit"],
            4: ["duplicate_in_file"],
            5: ["username_exists"],
            6: ["bad_email"],
            7: ["missing_field"],
            8: ["unknown_role"],
            9: ["bad_phone"],
            10: ["bad_username"],
        }
        assert [row.line for row in report.valid_rows] == [2]
        messages = {row.line: row.errors[0].message for row in report.invalid_rows}
        assert "NOPE" in messages[3]
        assert "2" in messages[4]

    def test_nothing_is_written_when_a_row_is_bad(self, org):
        users_before = User.objects.count()
        content = csv_bytes(
            [["good", "Good", "BR-A", "", "", ""], ["bad", "Bad", "NOPE", "", "", ""]]
        )
        report = parse(content)

        with pytest.raises(ImportRefused) as refused:
            member_import_write(rows=report.rows, user=None)

        assert User.objects.count() == users_before
        assert not MemberProfile.objects.filter(user__username="good").exists()
        assert [row.line for row in refused.value.report.invalid_rows] == [3]

    def test_only_valid_writes_the_good_rows_and_skips_the_bad(self, org):
        content = csv_bytes(
            [
                ["good1", "Good", "BR-A", "", "", ""],
                ["bad", "Bad", "NOPE", "", "", ""],
                ["good2", "Good", "BR-B", "", "", ""],
            ]
        )
        report = parse(content)

        result = member_import_write(rows=report.rows, user=None, only_valid=True)

        assert (result.created, result.skipped) == (2, 1)
        assert set(User.objects.values_list("username", flat=True)) == {"good1", "good2"}

    def test_write_checks_again_a_username_created_after_the_preview(self, org):
        report = parse(csv_bytes([["late", "Late", "BR-A", "", "", ""]]))
        UserFactory(username="late")

        with pytest.raises(ImportRefused):
            member_import_write(rows=report.rows, user=None)

        assert not MemberProfile.objects.filter(user__username="late").exists()


class TestScope:
    def test_manager_cannot_import_into_a_sibling_branch(self, org, member_factory):
        manager = member_factory(org.branch_a, roles.MANAGERS, username="mgr_a")
        content = csv_bytes(
            [
                ["mine", "Mine", "BR-A", "", "", ""],
                ["sibling", "Sibling", "BR-B", "", "", ""],
                ["parent", "Parent", "EAST", "", "", ""],
            ]
        )

        report = parse(content, user=manager)

        assert errors_by_line(report) == {3: ["out_of_scope"], 4: ["out_of_scope"]}
        with pytest.raises(ImportRefused):
            member_import_write(rows=report.rows, user=manager)
        member_import_write(rows=report.rows, user=manager, only_valid=True)
        assert MemberProfile.objects.get(user__username="mine").unit == org.branch_a
        assert not User.objects.filter(username__in=["sibling", "parent"]).exists()

    def test_district_manager_imports_into_the_whole_subtree(self, org, member_factory):
        manager = member_factory(org.east, roles.MANAGERS)
        content = csv_bytes(
            [["a", "A", "BR-A", "", "", ""], ["b", "B", "BR-B", "", "", ""]]
            + [["w", "W", "BR-W", "", "", ""]]
        )

        report = parse(content, user=manager)

        assert errors_by_line(report) == {4: ["out_of_scope"]}

    def test_superuser_imports_anywhere(self, org):
        admin = UserFactory(username="root", is_superuser=True, is_staff=True)

        report = parse(csv_bytes([["w", "W", "BR-W", "", "", ""]]), user=admin)

        assert report.is_clean


class TestFileErrors:
    def test_missing_column_is_named(self, org):
        report = parse(csv_bytes([["a", "A"]], header=["username", "full name"]))

        assert file_error_codes(report) == ["bad_columns"]
        assert "unit code" in report.file_errors[0].message
        assert not report.rows

    def test_unknown_column_is_named(self, org):
        header = ["username", "full name", "unit code", "favourite colour"]
        report = parse(csv_bytes([["a", "A", "BR-A", "red"]], header=header))

        assert file_error_codes(report) == ["bad_columns"]
        assert "favourite colour" in report.file_errors[0].message

    def test_column_given_twice(self, org):
        header = ["username", "用户名", "full name", "unit code"]
        report = parse(csv_bytes([["a", "b", "A", "BR-A"]], header=header))

        assert file_error_codes(report) == ["duplicate_column"]
        assert "用户名" in report.file_errors[0].message

    def test_header_row_missing_entirely(self, org):
        report = parse(csv_bytes([["a", "A", "BR-A", "", "", ""]], header=None))

        assert file_error_codes(report) == ["bad_columns"]

    @pytest.mark.parametrize("content", [b"", b"   \r\n\r\n", b"\xef\xbb\xbf"])
    def test_empty_file(self, db, content):
        assert file_error_codes(parse(content)) == ["empty_file"]

    def test_header_without_rows(self, db):
        assert file_error_codes(parse(csv_bytes([]))) == ["no_rows"]

    def test_binary_file_renamed_csv(self, db):
        png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4

        report = parse(png, "members.csv")

        assert file_error_codes(report) == ["not_csv"]
        assert "CSV" in report.file_errors[0].message

    def test_binary_without_nul_bytes_renamed_csv(self, db):
        noise = bytes(b for b in range(1, 256)) * 8

        assert file_error_codes(parse(noise, "members.csv")) == ["not_csv"]

    def test_corrupt_xlsx(self, db):
        good = xlsx_bytes(member_rows(3, "BR-A"))

        truncated = parse(good[: len(good) // 2], "members.xlsx")
        garbage = parse(b"PK\x03\x04" + b"garbage" * 50, "members.xlsx")
        not_zip = parse(b"just some text", "members.xlsx")

        for report in (truncated, garbage, not_zip):
            assert file_error_codes(report) == ["not_xlsx"]

    def test_zip_that_is_no_workbook(self, db):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("hello.txt", "hi")

        assert file_error_codes(parse(buffer.getvalue(), "members.xlsx")) == ["not_xlsx"]

    def test_old_xls_and_other_types(self, db):
        old = parse(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "members.xls")
        pdf = parse(b"%PDF-1.4 hello", "members.pdf")

        assert file_error_codes(old) == ["old_excel"]
        assert file_error_codes(pdf) == ["unsupported_type"]

    def test_too_many_rows(self, org, settings):
        settings.MEMBER_IMPORT_MAX_ROWS = 5

        at_limit = parse(csv_bytes(member_rows(5, "BR-A")))
        over = parse(csv_bytes(member_rows(6, "BR-A")))

        assert at_limit.is_clean
        assert file_error_codes(over) == ["too_many_rows"]
        assert "5" in over.file_errors[0].message


class TestLargeFile:
    def test_ten_thousand_rows_import_with_a_bounded_number_of_queries(
        self, org, django_assert_max_num_queries
    ):
        content = csv_bytes(member_rows(10_000, "BR-A"))

        with django_assert_max_num_queries(400):
            report = parse(content)
            result = member_import_write(rows=report.rows, user=None)

        assert result.created == 10_000
        assert MemberProfile.objects.filter(unit=org.branch_a).count() == 10_000
        assert User.objects.filter(groups__name=roles.MEMBERS).count() == 10_000
