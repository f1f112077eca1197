"""Brute-force protection of the logins (cms.login_throttling), through the real HTTP client:
the site login and the Wagtail admin login, the lockout page, the unlock by a manager of the
member's unit, and a password reset that does not tell whether an account exists."""

import re

import pytest
from django.core import mail
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from wagtail.models import ModelLogEntry

from cms import roles
from cms.login_throttling import client_address
from cms.services import ACTION_LOGIN_UNLOCKED

LOCKED_TITLE = "Too many failed logins"
SITE_LOGIN = "login"
ADMIN_LOGIN = "wagtailadmin_login"


def english_client(address: str = "127.0.0.1") -> Client:
    english = Client(REMOTE_ADDR=address)
    english.cookies["django_language"] = "en"
    return english


@pytest.fixture
def client():
    return english_client()


def try_login(client: Client, url_name: str, username: str, password: str):
    return client.post(reverse(url_name), {"username": username, "password": password})


def fail_logins(client: Client, url_name: str, username: str, times: int = 6) -> list[int]:
    return [
        try_login(client, url_name, username, "wrong-password").status_code for _ in range(times)
    ]


def assert_logged_in(client: Client, response) -> None:
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def assert_locked_out(client: Client, response) -> None:
    assert response.status_code == 429
    assert LOCKED_TITLE in response.content.decode()
    assert "_auth_user_id" not in client.session


class TestLockout:
    @pytest.mark.parametrize("url_name", [SITE_LOGIN, ADMIN_LOGIN])
    def test_six_wrong_passwords_lock_the_account(self, client, org, member_factory, url_name):
        # given a manager (who may use the admin too)
        member_factory(org.branch_a, roles.MANAGERS, username="member1")

        # when someone tries six wrong passwords
        statuses = fail_logins(client, url_name, "member1")

        # then the first four are answered as wrong, the fifth locks, and the right
        # password is refused as well, with the lockout page
        assert statuses[:4] == [200] * 4
        assert statuses[4:] == [429, 429]
        assert_locked_out(client, try_login(client, url_name, "member1", "pass12345"))

    def test_a_lock_from_the_site_holds_on_the_admin_login(self, client, org, member_factory):
        member_factory(org.branch_a, roles.MANAGERS, username="member1")
        fail_logins(client, SITE_LOGIN, "member1")

        assert_locked_out(client, try_login(client, ADMIN_LOGIN, "member1", "pass12345"))

    def test_the_lock_holds_from_another_address(self, org, member_factory):
        member_factory(org.branch_a, username="member1")
        fail_logins(english_client("10.0.0.1"), SITE_LOGIN, "member1")

        elsewhere = english_client("10.0.0.2")
        assert_locked_out(elsewhere, try_login(elsewhere, SITE_LOGIN, "member1", "pass12345"))

    def test_the_lockout_page_is_translated(self, org, member_factory):
        member_factory(org.branch_a, username="member1")
        chinese = Client()  # the default language
        fail_logins(chinese, SITE_LOGIN, "member1")

        response = try_login(chinese, SITE_LOGIN, "member1", "pass12345")

        assert response.status_code == 429
        with translation.override("zh-hans"):
            assert gettext(LOCKED_TITLE) in response.content.decode()

    def test_wrong_passwords_below_the_limit_still_allow_the_right_one(
        self, client, org, member_factory
    ):
        member_factory(org.branch_a, username="member1")
        fail_logins(client, SITE_LOGIN, "member1", times=4)

        assert_logged_in(client, try_login(client, SITE_LOGIN, "member1", "pass12345"))


class TestSharedAddress:
    def test_a_colleague_behind_the_same_address_is_not_locked(self, org, member_factory):
        # given two members of one branch behind one office NAT address
        member_factory(org.branch_a, username="member1")
        member_factory(org.branch_a, username="member2")
        office = english_client("192.0.2.10")

        # when the first is locked out
        fail_logins(office, SITE_LOGIN, "member1")

        # then the second still logs in from the same address
        colleague = english_client("192.0.2.10")
        assert_logged_in(colleague, try_login(colleague, SITE_LOGIN, "member2", "pass12345"))

    def test_an_address_guessing_many_usernames_is_locked(self, settings, org, member_factory):
        # given the per-address limit (lowered here to keep the test short)
        settings.LOGIN_ADDRESS_FAILURE_LIMIT = 12
        member_factory(org.branch_a, username="member1")
        sprayer = english_client("198.51.100.7")

        # when one address tries two wrong passwords for each of six usernames
        for n in range(6):
            fail_logins(sprayer, SITE_LOGIN, f"guess{n}", times=2)

        # then that address is locked even for an account it never tried, other
        # addresses are not
        assert_locked_out(sprayer, try_login(sprayer, SITE_LOGIN, "member1", "pass12345"))
        other = english_client("198.51.100.8")
        assert_logged_in(other, try_login(other, SITE_LOGIN, "member1", "pass12345"))


class TestUnlock:
    @pytest.fixture
    def locked(self, client, org, member_factory):
        member = member_factory(org.branch_a, username="member1")
        fail_logins(english_client("10.0.0.9"), SITE_LOGIN, "member1")
        return member

    def test_a_manager_of_the_unit_unlocks_the_member(self, client, org, member_factory, locked):
        # given a manager of the member's district (the branch is in their subtree)
        manager = member_factory(org.east, roles.MANAGERS, username="mgr_east")
        client.force_login(manager)
        edit_page = client.get(reverse("members:edit", args=[locked.profile.pk]))
        unlock_url = reverse("members:unlock", args=[locked.profile.pk])
        assert unlock_url in edit_page.content.decode()
        assert client.get(unlock_url).status_code == 200

        # when they unlock the member
        response = client.post(unlock_url)

        # then the right password logs in again, and the audit log says who unlocked
        assert response.status_code == 302
        member_client = english_client("10.0.0.9")
        assert_logged_in(
            member_client, try_login(member_client, SITE_LOGIN, "member1", "pass12345")
        )
        entry = ModelLogEntry.objects.get(action=ACTION_LOGIN_UNLOCKED)
        assert (entry.user, entry.object_id) == (manager, str(locked.profile.pk))

    def test_a_manager_of_another_unit_gets_404(self, client, org, member_factory, locked):
        client.force_login(member_factory(org.west, roles.MANAGERS, username="mgr_west"))

        response = client.post(reverse("members:unlock", args=[locked.profile.pk]))

        assert response.status_code == 404
        member = english_client("10.0.0.9")
        assert_locked_out(member, try_login(member, SITE_LOGIN, "member1", "pass12345"))

    def test_a_member_cannot_unlock_themselves(self, client, org, member_factory, locked):
        client.force_login(member_factory(org.branch_a, username="member2"))

        response = client.post(reverse("members:unlock", args=[locked.profile.pk]))

        # members have no admin access at all: sent to the admin's login
        assert response.status_code == 302
        assert response.url.startswith(reverse(ADMIN_LOGIN))
        assert not ModelLogEntry.objects.filter(action=ACTION_LOGIN_UNLOCKED).exists()
        member = english_client("10.0.0.9")
        assert_locked_out(member, try_login(member, SITE_LOGIN, "member1", "pass12345"))


def page_text(response) -> str:
    """The page without its per-request CSRF tokens."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


class TestPasswordReset:
    def test_reveals_nothing_about_whether_the_account_exists(self, client, org, member_factory):
        # given one member with an e-mail address
        member_factory(org.branch_a, username="member1", email="member1@example.org")
        url = reverse("password_reset")

        # when a reset is asked for that address and for an unknown one
        known = client.post(url, {"email": "member1@example.org"}, follow=True)
        sent = len(mail.outbox)
        unknown = client.post(url, {"email": "nobody@example.org"}, follow=True)

        # then both answers are the same page, and only the real account gets mail
        assert known.redirect_chain == unknown.redirect_chain
        assert known.status_code == unknown.status_code == 200
        assert page_text(known) == page_text(unknown)
        assert sent == 1
        assert len(mail.outbox) == 1
        assert mail.outbox[0].to == ["member1@example.org"]


class TestClientAddress:
    @pytest.mark.parametrize(
        ("proxies", "forwarded", "expected"),
        [
            (0, "203.0.113.5", "10.0.0.1"),  # no proxy trusted: the header is ignored
            (1, "203.0.113.5", "203.0.113.5"),
            (1, "1.2.3.4, 203.0.113.5", "203.0.113.5"),  # the client's own claim is skipped
            (2, "1.2.3.4, 203.0.113.5, 10.0.0.2", "203.0.113.5"),
            (1, "", "10.0.0.1"),
        ],
    )
    def test_counts_the_address_the_trusted_proxy_saw(self, settings, proxies, forwarded, expected):
        settings.TRUSTED_PROXY_COUNT = proxies
        request = RequestFactory().post("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)

        assert client_address(request) == expected
