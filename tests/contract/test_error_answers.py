"""What the schema promises about errors, over HTTP: the one error shape for DRF's own
refusals, a JSON 404 for an /api/ path that names no endpoint, ids the path converter
refuses, the preferences PATCH taking JSON only, and the reports' strict booleans; and
in the schema, every operation's error answers."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from cms import roles
from tests.factories import make_member, make_unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(db):
    return make_member(make_unit("Contract branch"))


@pytest.fixture
def csrf_client():
    def make(user):
        from django.middleware.csrf import _get_new_csrf_string

        client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(user)
        client.csrf = _get_new_csrf_string()
        client.cookies["csrftoken"] = client.csrf
        return client

    return make


def _is_error_shape(body: dict) -> bool:
    return set(body) <= {"detail", "errors"} and isinstance(body.get("detail"), str)


def test_a_validation_error_raised_by_a_view_answers_in_the_one_error_shape(member):
    client = Client()
    client.force_login(member)

    response = client.get("/api/media/videos/status/", {"ids": "1,x"})

    assert response.status_code == 400
    body = response.json()
    assert _is_error_shape(body)
    assert body["detail"].startswith("ids: ")
    assert list(body["errors"]) == ["ids"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/quizzes/-1/attempts/",
        "/api/v1/quizzes/1234567890123456789/attempts/",  # 19 digits: past the converter
        "/api/v1/reports/units/abc/overview/",
        "/api/no-such-thing/",
    ],
)
def test_a_path_that_names_no_endpoint_is_a_json_404(member, path):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)

    for response in (client.get(path), client.post(path)):
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert _is_error_shape(response.json())


def test_the_largest_id_the_converter_takes_is_a_plain_404_not_a_500(member):
    client = Client()
    client.force_login(member)

    response = client.post(f"/api/v1/quizzes/{10**18 - 1}/attempts/")

    assert response.status_code == 404
    assert _is_error_shape(response.json())


def test_a_path_without_its_slash_is_still_redirected_to_it(member):
    client = Client()
    client.force_login(member)

    assert client.get("/api/exams/ping").status_code == 301


def test_preferences_take_json_only(member, csrf_client):
    client = csrf_client(member)
    headers = {"HTTP_X_CSRFTOKEN": client.csrf}

    form = client.patch(
        "/api/exams/preferences/",
        data="data_saver=true",
        content_type="application/x-www-form-urlencoded",
        **headers,
    )
    nested = client.patch(
        "/api/exams/preferences/",
        data="[" * 100_000 + "]" * 100_000,
        content_type="application/json",
        **headers,
    )

    assert form.status_code == 415 and _is_error_shape(form.json())
    assert nested.status_code == 400 and _is_error_shape(nested.json())
    assert client.get("/api/exams/preferences/").json() == {"data_saver": False}


def test_a_preferences_patch_changes_what_it_sends_and_nothing_else(member, csrf_client):
    client = csrf_client(member)

    def patch(body):
        return client.patch(
            "/api/exams/preferences/",
            data=json.dumps(body),
            content_type="application/json",
            HTTP_X_CSRFTOKEN=client.csrf,
        )

    assert patch({"data_saver": True}).json() == {"data_saver": True}
    assert patch({}).json() == {"data_saver": True}
    refused = patch([])
    assert refused.status_code == 400 and _is_error_shape(refused.json())


def test_the_members_report_takes_true_or_false_for_behind(db):
    unit = make_unit("Reports branch")
    manager = make_member(unit, role=roles.MANAGERS)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(manager)
    url = f"/api/v1/reports/units/{unit.pk}/members/"

    assert client.get(url, {"behind": "true"}).status_code == 200
    assert client.get(url, {"behind": "false"}).json()["count"] == 1
    assert client.get(url, {"behind": ""}).status_code == 200  # allowEmptyValue: not sent
    bad = client.get(url, {"behind": "-58800"})
    assert bad.status_code == 400
    assert list(bad.json()["errors"]) == ["behind"]


def _operations():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_every_operation_documents_its_error_answers():
    for path, method, operation in _operations():
        answers = operation["responses"]
        where = f"{method.upper()} {path}"
        assert "503" in answers, where
        assert answers["503"]["headers"]["Retry-After"]["required"] is True, where
        errors = [code for code in answers if code >= "400"]
        for code in errors:
            ref = answers[code]["content"]["application/json"]["schema"]["$ref"]
            assert ref == "#/components/schemas/Error", (where, code)
            assert answers[code]["description"], (where, code)
        if "{" in path:
            assert "404" in answers, where
        if "requestBody" in operation:
            assert {"400", "415"} <= set(answers), where
        if operation.get("security") != [{}] and path != "/api/schema/":
            assert "403" in answers, where


def test_path_ids_are_documented_as_the_converter_takes_them():
    for path, method, operation in _operations():
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path":
                assert parameter["schema"] == {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": 10**18 - 1,
                }, (method, path, parameter)


@pytest.mark.parametrize(
    ("path", "query"),
    [
        # found by the contract run: an id past 64 bits reached SQLite (OverflowError, 500)
        ("overview", {"course": "-2204063953344692748288"}),
        ("members", {"topic": "22040639533446927482881"}),
    ],
)
def test_a_report_filter_id_no_object_can_have_is_a_400(db, path, query):
    unit = make_unit("Filter branch")
    manager = make_member(unit, role=roles.MANAGERS)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(manager)

    response = client.get(f"/api/v1/reports/units/{unit.pk}/{path}/", query)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == list(query)


def test_video_ids_past_64_bits_name_no_video(member):
    client = Client()
    client.force_login(member)

    response = client.get("/api/media/videos/status/", {"ids": "9" * 25})

    assert response.status_code == 200
    assert response.json() == []
