"""The one validator of a beat's body, as a plain function.

Why not the DRF serializer that documents the body (``serializers.HeartbeatInputSerializer``,
in the OpenAPI schema): building a serializer deep-copies its twelve fields and their
validators on every request, which was a third of a beat's Python time
(bench/README.md, "heartbeats"). This function applies the same rules with DRF's own
messages (so DRF's translations apply), field by field in the serializer's order; a
property test (tests/exams/tracking/test_validation.py) holds the two to the same answers.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

from django.utils.translation import gettext as _

from .models import WatchBeat
from .serializers import MAX_MEDIA_SECONDS, MAX_SEQ

EVENTS = frozenset(WatchBeat.Event.values)


class BeatInvalid(ValueError):
    """The body breaks the contract; ``errors`` maps each field to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


class _Fail(Exception):
    pass


def _required(data: dict, name: str) -> Any:
    if name not in data:
        raise _Fail(_("This field is required."))
    if data[name] is None:
        raise _Fail(_("This field may not be null."))
    return data[name]


def _bounded(value, low, high):
    if value < low:
        raise _Fail(
            _("Ensure this value is greater than or equal to {min_value}.").format(min_value=low)
        )
    if value > high:
        raise _Fail(
            _("Ensure this value is less than or equal to {max_value}.").format(max_value=high)
        )
    return value


def _integer(value, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Fail(_("A valid integer is required."))
    return _bounded(value, low, high)


def _number(value, low: float, high: float) -> float:
    if isinstance(value, bool):
        raise _Fail(_("A valid number is required."))
    if isinstance(value, str) and len(value) > 1000:
        raise _Fail(_("String value too large."))
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _Fail(_("A valid number is required.")) from None
    except OverflowError:
        raise _Fail(_("Integer value too large to convert to float")) from None
    if not math.isfinite(number):
        raise _Fail(_("A valid number is required."))
    return _bounded(number, low, high)


def _optional(data: dict, name: str, parse, *args):
    """Absent → not in the result; null → None; else parsed."""
    if name not in data:
        return _ABSENT
    if data[name] is None:
        return None
    return parse(data[name], *args)


_ABSENT = object()


def _uuid(value) -> uuid.UUID:
    try:
        if isinstance(value, int):
            return uuid.UUID(int=value)
        if isinstance(value, str):
            return uuid.UUID(hex=value)
    except ValueError:
        pass
    raise _Fail(_("Must be a valid UUID."))


def _event(value) -> str:
    if str(value) not in EVENTS:
        raise _Fail(_('"{input}" is not a valid choice.').format(input=value))
    return str(value)


def _boolean(value) -> bool:
    if not isinstance(value, bool):
        raise _Fail(_("Must be a valid boolean."))
    return value


def beat_validate(data: dict) -> dict[str, Any]:
    """The beat's fields, parsed: ``lesson``, ``session``, ``seq``, ``event``,
    ``playing``, ``visible``, ``rate`` and, when sent, ``from``, ``to``, ``position``,
    ``client_time``. Raises ``BeatInvalid``. The token is checked before, by the view."""
    checks = (
        ("lesson", lambda: _integer(_required(data, "lesson"), 1, MAX_SEQ)),
        ("session", lambda: _uuid(_required(data, "session"))),
        ("seq", lambda: _integer(_required(data, "seq"), 0, MAX_SEQ)),
        ("to", lambda: _optional(data, "to", _number, 0, MAX_MEDIA_SECONDS)),
        ("rate", lambda: _number(_required(data, "rate"), 0.0625, 16) if "rate" in data else 1.0),
        ("event", lambda: _event(_required(data, "event"))),
        ("position", lambda: _optional(data, "position", _number, 0, MAX_MEDIA_SECONDS)),
        ("playing", lambda: _boolean(_required(data, "playing"))),
        ("visible", lambda: _boolean(_required(data, "visible"))),
        ("client_time", lambda: _optional(data, "client_time", _integer, 0, 2**53)),
        ("from", lambda: _optional(data, "from", _number, 0, MAX_MEDIA_SECONDS)),
    )
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, check in checks:
        try:
            value = check()
        except _Fail as failure:
            errors[name] = [str(failure)]
            continue
        if value is not _ABSENT:
            values[name] = value
    if errors:
        raise BeatInvalid(errors)
    start, end = values.get("from"), values.get("to")
    if (start is None) != (end is None):
        raise BeatInvalid({"non_field_errors": [_("Send both 'from' and 'to', or neither.")]})
    if start is not None and end < start:
        raise BeatInvalid({"non_field_errors": [_("'to' must not be before 'from'.")]})
    return values
