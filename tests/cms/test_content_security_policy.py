"""The Content-Security-Policy header: enforced on every site page and API answer, without
inline scripts; report-only in the Wagtail admin, whose pages carry inline scripts."""

import re

import pytest

from cms import roles
from tests.factories import make_member, make_unit

pytestmark = pytest.mark.django_db

SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)


def _directives(header: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.parametrize(
    "path", ["/", "/learn/", "/learn/catalogue/", "/learn/record/", "/api/docs/"]
)
def test_site_pages_enforce_a_policy_without_inline_scripts(client, path):
    member = make_member(make_unit(), username="csp_reader")
    client.force_login(member)
    response = client.get(path)
    assert response.status_code == 200, path
    policy = _directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'self'"]
    for attributes in SCRIPT_TAG.findall(response.content.decode()):
        assert "src=" in attributes or 'type="application/json"' in attributes, attributes


def test_login_page_enforces_the_policy(client):
    response = client.get("/accounts/login/")
    assert _directives(response["Content-Security-Policy"])["script-src"] == ["'self'"]


def test_api_answers_carry_the_policy(client):
    response = client.get("/api/exams/ping/")
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_admin_gets_the_policy_as_report_only(client):
    manager = make_member(make_unit(), roles.MANAGERS, username="csp_admin")
    client.force_login(manager)
    response = client.get("/admin/")
    assert response.status_code == 200
    assert "Content-Security-Policy" not in response
    assert "script-src 'self'" in response["Content-Security-Policy-Report-Only"]
