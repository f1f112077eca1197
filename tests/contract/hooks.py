"""Schemathesis hooks for the contract run (loaded through ``SCHEMATHESIS_HOOKS``).

Ids drawn at random almost never name an object, so most requests would stop at a 404
and the code behind it would go untested. Each hook offers schemathesis, besides what it
generated, the seeded world's real ids (``CONTRACT_SEED``, JSON written by the test): an
attempt of the member, a unit of the manager, a lesson with a valid beat token … and
hypothesis picks between them, so both the refusals and the real answers are checked
against the schema.
"""

from __future__ import annotations

import json
import os
from typing import Any

import schemathesis
from hypothesis import strategies as st

SEED: dict[str, Any] = json.loads(os.environ.get("CONTRACT_SEED") or "{}")
CSRF = os.environ.get("CONTRACT_CSRF", "")
IDS: dict[str, list[int]] = SEED.get("ids", {})
BEATS: list[dict[str, Any]] = SEED.get("beats", [])


def _with_seeded(values: dict[str, Any] | None) -> st.SearchStrategy[dict[str, Any] | None]:
    if not values:
        return st.just(values)
    choices = {
        name: st.one_of(st.sampled_from(IDS[name]), st.just(value))
        if IDS.get(name)
        else st.just(value)
        for name, value in values.items()
    }
    return st.fixed_dictionaries(choices)


def _positive(case) -> bool:
    meta = case.meta
    return meta is not None and meta.generation.mode.is_positive


@schemathesis.hook
def flatmap_case(context, case):
    """In a valid request, an id drawn at random is sometimes replaced by a seeded one,
    and a heartbeat sometimes carries a valid token and its lesson, so that the request
    reaches the service instead of stopping at a 404 or at the token check. Only in a
    valid request: in an invalid one the broken part may be that id or that token, and
    putting a good one in its place would make the request valid."""
    if not _positive(case):
        return st.just(case)
    operation = context.operation
    beats = bool(BEATS) and operation is not None and operation.path.endswith("/heartbeats/")
    body = case.body

    def build(parts: tuple) -> Any:
        path_parameters, query, beat = parts
        case.path_parameters = path_parameters
        case.query = query
        if beat is not None:
            case.body = {**body, "token": beat["token"], "lesson": beat["lesson"]}
        return case

    beat = st.none()
    if beats and isinstance(body, dict):
        beat = st.one_of(st.sampled_from(BEATS), st.none())
    return st.tuples(_with_seeded(case.path_parameters), _with_seeded(case.query), beat).map(build)


@schemathesis.hook
def map_case(context, case):
    """Django's CSRF check: the token in a cookie and the same in the header. Not part of
    the schema (the session cookie is, through its security scheme)."""
    if CSRF:
        case.cookies = {**(case.cookies or {}), "csrftoken": CSRF}
        case.headers = {**(case.headers or {}), "X-CSRFToken": CSRF}
    return case
