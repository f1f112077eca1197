import subprocess
import sys
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from cms.models import MemberProfile, Unit, WorkerPing
from tests.conftest import ROOT, wait_for


class TestLoginFlow:
    def test_member_logs_in_sees_name_and_logs_out(self, client, org, member_factory):
        member_factory(org.branch_a, username="alice")

        response = client.post(
            reverse("login"), {"username": "alice", "password": "pass12345"}, follow=True
        )
        assert response.status_code == 200
        assert response.context["user"].username == "alice"
        assert "Name alice" in response.content.decode()

        response = client.post(reverse("logout"), follow=True)
        assert not response.context["user"].is_authenticated

    def test_wrong_password_is_refused_with_a_message(self, client, org, member_factory):
        member_factory(org.branch_a, username="alice")

        response = client.post(reverse("login"), {"username": "alice", "password": "nope"})

        assert response.status_code == 200
        assert not response.context["user"].is_authenticated
        assert response.context["form"].non_field_errors()

    def test_password_change_requires_login(self, client, db):
        response = client.get(reverse("password_change"))
        assert response.status_code == 302
        assert reverse("login") in response["Location"]

    def test_language_switch_to_english(self, client, db):
        response = client.get("/")
        assert 'lang="zh-hans"' in response.content.decode()

        client.post(reverse("set_language"), {"language": "en", "next": "/"})
        response = client.get("/")
        assert 'lang="en"' in response.content.decode()
        assert "Log in" in response.content.decode()


class TestSeedDemo:
    def test_twice_changes_nothing(self, db, settings):
        settings.DEBUG = True
        call_command("seed_demo")
        counts = (Unit.objects.count(), get_user_model().objects.count())
        paths = list(Unit.objects.values_list("code", "path"))

        call_command("seed_demo")

        assert (Unit.objects.count(), get_user_model().objects.count()) == counts
        assert list(Unit.objects.values_list("code", "path")) == paths
        assert max(Unit.objects.values_list("depth", flat=True)) >= 3
        branches = set(
            MemberProfile.objects.filter(user__username__startswith="member").values_list(
                "unit__code", flat=True
            )
        )
        assert len(branches) == 2

    def test_refused_when_debug_is_off(self, db, settings):
        settings.DEBUG = False
        with pytest.raises(CommandError):
            call_command("seed_demo")
        assert not get_user_model().objects.filter(username="member1").exists()


def test_production_settings_pass_deploy_checks():
    env = {
        "DJANGO_SETTINGS_MODULE": "cms.settings.production",
        "SECRET_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
        "ALLOWED_HOSTS": "learn.example.org",
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_settings_refuse_a_missing_secret():
    env = {"DJANGO_SETTINGS_MODULE": "cms.settings.production", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.worker
def test_a_real_worker_runs_a_task(celery_worker_process):
    from cms.tasks import worker_ping_task

    token = uuid.uuid4().hex
    worker_ping_task.delay(token)

    ping = wait_for(lambda: WorkerPing.objects.filter(token=token).first())
    assert ping.hostname


def test_chinese_by_default_whatever_the_browser_asks(client, db):
    response = client.get("/", headers={"accept-language": "en-US,en;q=0.9"})

    assert 'lang="zh-hans"' in response.content.decode()
    assert "登录" in response.content.decode()


def test_an_unknown_language_cookie_falls_back_to_chinese(client, db):
    client.cookies["django_language"] = "xx"

    assert 'lang="zh-hans"' in client.get("/").content.decode()
