"""``manage.py import_members`` and ``manage.py check_workers``."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from cms import roles
from cms.models import MemberProfile, WorkerPing

from .import_files import csv_bytes, member_rows, xlsx_bytes

User = get_user_model()


@pytest.fixture(autouse=True)
def _english():
    """Messages in English, so that the tests read the source strings, not translations."""
    with translation.override("en"):
        yield


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("import_members", *[str(a) for a in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def mixed_file(tmp_path):
    path = tmp_path / "members.csv"
    path.write_bytes(
        csv_bytes(
            [
                ["good1", "Good One", "BR-A", "member", "", ""],
                ["bad", "Bad", "NOPE", "member", "", ""],
                ["good2", "Good Two", "BR-B", "trainer", "", ""],
            ]
        )
    )
    return path


class TestImportMembers:
    def test_good_file_is_imported(self, org, tmp_path):
        path = tmp_path / "members.xlsx"
        path.write_bytes(xlsx_bytes(member_rows(3, "BR-A")))

        out, _ = run(path)

        assert "Imported 3 member(s), skipped 0." in out
        assert MemberProfile.objects.filter(unit=org.branch_a).count() == 3

    def test_bad_rows_fail_with_the_report_and_write_nothing(self, org, mixed_file):
        err = StringIO()
        with pytest.raises(CommandError, match="1 bad row"):
            call_command("import_members", str(mixed_file), stdout=StringIO(), stderr=err)

        assert "Row 3:" in err.getvalue() and "NOPE" in err.getvalue()
        assert not User.objects.exists()

    def test_only_valid_imports_the_good_rows(self, org, mixed_file):
        out, err = run(mixed_file, "--only-valid")

        assert "Row 3:" in err
        assert "Imported 2 member(s), skipped 1." in out
        assert set(User.objects.values_list("username", flat=True)) == {"good1", "good2"}
        assert User.objects.get(username="good2").groups.get().name == roles.TRAINERS

    def test_dry_run_writes_nothing(self, org, mixed_file):
        out, _ = run(mixed_file, "--dry-run", "--only-valid")

        assert "2 row(s) would be imported" in out
        assert not User.objects.exists()

    def test_unreadable_file_fails(self, db, tmp_path):
        path = tmp_path / "members.csv"
        path.write_bytes(b"\x00\x01\x02binary")

        with pytest.raises(CommandError):
            run(path)

    def test_unit_scope_user_refuses_rows_outside_their_units(
        self, org, member_factory, mixed_file
    ):
        member_factory(org.branch_a, roles.MANAGERS, username="mgr_a")

        out, err = run(mixed_file, "--only-valid", "--unit-scope-user", "mgr_a")

        assert "Row 4:" in err  # BR-B is a sibling branch
        assert "Imported 1 member(s), skipped 2." in out

    def test_large_file_shows_a_progress_bar(self, org, tmp_path):
        path = tmp_path / "members.csv"
        path.write_bytes(csv_bytes(member_rows(600, "BR-A")))

        out, err = run(path)

        assert "Imported 600 member(s)" in out
        assert "600/600" in err


class TestCheckWorkers:
    def test_ok_when_the_task_runs(self, db):
        # Tests run tasks eagerly; the real-worker path is covered in test_foundation.
        out, err = StringIO(), StringIO()

        call_command("check_workers", "--timeout", "5", stdout=out, stderr=err)

        assert out.getvalue().startswith("OK")
        assert "no worker is checked" in err.getvalue()
        assert not WorkerPing.objects.exists()

    def test_fails_when_no_worker_answers(self, db):
        # given tasks really go to the broker, and no worker consumes them
        from cms.celery import app

        app.conf.task_always_eager = False
        try:
            # when the check runs, then it gives up with a message
            with pytest.raises(CommandError, match="No worker answered"):
                call_command("check_workers", "--timeout", "0.5", stdout=StringIO())
        finally:
            app.conf.task_always_eager = True
            app.control.purge()
