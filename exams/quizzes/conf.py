"""The quizzes app's settings: defaults here and nowhere else.

Each figure may be overridden by a Django setting named ``QUIZ_<NAME>`` (tests and the
bench do); ``quiz_setting(name)`` reads it on every call, so ``override_settings``
applies. Code that needs the figure in force calls ``quiz_setting``; the constants are the
defaults.
"""

from __future__ import annotations

from django.conf import settings

#: Answers and submits are accepted this long after an attempt's deadline (a slow link).
SUBMIT_GRACE_SECONDS = 30
#: The most bytes one response may take as JSON.
RESPONSE_MAX_BYTES = 10_000
#: The most answers one save request may carry.
ANSWERS_PER_SAVE_MAX = 100

_DEFAULTS = {
    "SUBMIT_GRACE_SECONDS": SUBMIT_GRACE_SECONDS,
    "RESPONSE_MAX_BYTES": RESPONSE_MAX_BYTES,
    "ANSWERS_PER_SAVE_MAX": ANSWERS_PER_SAVE_MAX,
}


def quiz_setting(name: str) -> int:
    """The figure ``name`` in force: ``settings.QUIZ_<name>`` or the default above."""
    return getattr(settings, f"QUIZ_{name}", _DEFAULTS[name])
