"""The beat token: what authenticates a heartbeat.

The lesson page renders a token signed with ``django.core.signing`` (salt ``exams.beat``)
that binds the member's id and the lesson's id, valid for ``HEARTBEAT_TOKEN_MAX_AGE``
seconds (12 h). The player and the reading script send it in every beat's JSON body, so
the heartbeat endpoint checks one HMAC instead of reading the session row and the user row
for every beat.

Why this is not weaker than the session cookie plus CSRF: the token is not ambient
authority. A browser attaches cookies to a forged cross-site request, but never a value
from the body of a page of another origin — which a cross-site attacker cannot read (same-
origin policy). So a request that carries a valid token was made by our own page for that
member and that lesson, and the endpoint may be CSRF-exempt. A token cannot be forged
without ``SECRET_KEY`` and is bound to one member and one lesson (the salt keeps it from
being accepted by any other signed-value check, and vice versa). What it does not do:
logging out does not revoke a token already rendered (like a signed media URL, it expires
on its own, after at most 12 h); but every beat checks that the member is still active and
may still be credited for the lesson, so a deactivated member or a moved audience stops
crediting at once.
"""

from __future__ import annotations

from django.core import signing

from .conf import tracking_settings

SALT = "exams.beat"


def beat_token_for(*, user_id: int, lesson_id: int) -> str:
    return signing.dumps([int(user_id), int(lesson_id)], salt=SALT)


def beat_token_check(token: object) -> tuple[int, int] | None:
    """(user id, lesson id) of a valid, unexpired token; None for anything else."""
    if not isinstance(token, str) or len(token) > 200:
        return None
    try:
        value = signing.loads(token, salt=SALT, max_age=tracking_settings().HEARTBEAT_TOKEN_MAX_AGE)
    except signing.BadSignature:  # includes SignatureExpired
        return None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(type(v) is int and v > 0 for v in value)
    ):
        return None
    return value[0], value[1]
