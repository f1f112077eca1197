"""Every URL of ours × every role × an object of branch A and of branch B (matrix.py).

A URL pattern whose view is ours (its module, or the model of a Wagtail viewset, in cms,
courses, exams or media_pipeline) and has no entry fails ``test_every_url_has_an_entry``.
"""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from .matrix import ENTRIES, LEAK_RULES, OUTCOMES, ROLES, cases, classify

OUR_PACKAGES = ("cms", "courses", "exams", "media_pipeline")


def _ours(module: str) -> bool:
    return module.split(".")[0] in OUR_PACKAGES


def view_module(callback) -> str:
    if hasattr(callback, "view_class"):
        return callback.view_class.__module__
    if hasattr(callback, "cls"):
        return callback.cls.__module__
    return callback.__module__


def is_ours(callback) -> bool:
    if _ours(view_module(callback)):
        return True
    model = getattr(callback, "view_initkwargs", {}).get("model")
    if isinstance(model, str):
        model = apps.get_model(model)
    return model is not None and _ours(model.__module__)


def url_patterns(resolver=None, prefix: str = "", namespace: str = ""):
    """(name or route, route, callback) of every pattern, included ones too."""
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from url_patterns(pattern, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield name or route, route, pattern.callback


def test_every_url_has_an_entry():
    covered = {entry.name for entry in ENTRIES}
    missing = sorted(
        f"{key}  ({route}, {view_module(callback)})"
        for key, route, callback in url_patterns()
        if is_ours(callback) and key not in covered
    )
    assert not missing, "URLs without a permission-matrix entry (add them to " + (
        "tests/security/matrix.py):\n" + "\n".join(missing)
    )


def test_every_expectation_is_an_outcome():
    for entry in ENTRIES:
        assert set(entry.expect) == set(ROLES), entry.key
        for outcome in entry.expect.values():
            assert set(outcome.split("|")) <= set(OUTCOMES), (entry.key, outcome)


def test_every_entry_names_a_url():
    known = {key for key, _route, _callback in url_patterns()}
    assert not sorted({entry.name for entry in ENTRIES} - known)


def _params():
    params = []
    for entry, role, side in cases():
        marks = []
        reason = entry.findings.get((role, side))
        if reason:
            marks.append(pytest.mark.xfail(strict=True, reason=reason))
        params.append(pytest.param(entry, role, side, id=f"{entry.key}-{role}-{side}", marks=marks))
    return params


def _send(client, entry, url, body):
    method = entry.method.lower()
    if entry.method == "GET":
        return client.get(url)
    if entry.api:
        return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")
    return getattr(client, method)(url, data=body)


def _body(entry, world, objects):
    return entry.body(world, objects) if callable(entry.body) else (entry.body or {})


def _text(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


@pytest.mark.parametrize(("entry", "role", "side"), _params())
def test_matrix(world, client, db, entry, role, side):
    user = world.users[role]
    if user is not None:
        client.force_login(user)
    objects = world.B if side == "B" else world.A
    url = entry.url(world, objects)
    response = _send(client, entry, url, _body(entry, world, objects))
    outcome = classify(response, role=role, api=entry.api)
    expected = entry.expected(role, "B" if side == "B" else "A")
    where = f" → {response['Location']}" if response.has_header("Location") else ""
    assert outcome in expected, (
        f"{entry.method} {url} as {role} (object of {side}): got {outcome} "
        f"(HTTP {response.status_code}{where}), expected {' or '.join(expected)}"
    )
    if entry.creates is not None:
        made = entry.creates(world, objects).exists()
        allowed = entry.may_write(role, "B" if side == "B" else "A")
        assert made == allowed, f"{entry.method} {url} as {role}: made={made}, may={allowed}"
    if entry.leaks and outcome == "ok" and response.status_code == 200:
        marks, hidden = LEAK_RULES[entry.leaks]
        text = _text(response)
        seen = [marks[other] for other in hidden.get(role, ()) if marks[other] in text]
        assert not seen, f"{url} as {role} shows what is not for them ({', '.join(seen)})"


@pytest.mark.parametrize(
    "entry",
    [entry for entry in ENTRIES if entry.leaks],
    ids=lambda entry: entry.key,
)
def test_leak_checks_can_fail(world, client, db, entry):
    """The markers do show where they may: the manager of A finds A's marker (unit, member
    or course) on every page whose leaks the matrix checks, so those checks look at real
    data."""
    if ("manager_a", "A" if entry.sided else "-") in entry.findings:
        pytest.skip("a finding: see the matrix")
    client.force_login(world.A.manager)
    response = _send(client, entry, entry.url(world, world.A), _body(entry, world, world.A))
    assert response.status_code == 200
    marks, _hidden = LEAK_RULES[entry.leaks]
    assert marks["A"] in _text(response)


@pytest.mark.parametrize("role", ["member_a", "trainer", "manager_a", "superuser"])
def test_video_status_answers_only_those_who_manage_media(world, client, db, role):
    client.force_login(world.users[role])
    ids = f"{world.A.video.pk},{world.B.video.pk}"
    response = client.get(reverse("media_pipeline_api:video-status"), {"ids": ids})
    assert response.status_code == 200
    expected = {world.A.video.pk, world.B.video.pk} if role in ("trainer", "superuser") else set()
    assert {row["id"] for row in response.json()} == expected
