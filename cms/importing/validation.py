"""Check every row of an import against the file itself, the database and the user's scope."""

import re
from collections.abc import Iterable, Iterator
from itertools import islice

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from cms.models import Unit
from cms.roles import grantable_roles
from cms.selectors import members_visible_to, units_visible_to

from .columns import FIELD_LABELS, REQUIRED_FIELDS, role_resolve
from .rows import ImportRow, Problem

PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]*$")
PHONE_DIGITS = (5, 20)


def phone_problem(value: str) -> str | None:
    """What is wrong with a phone number, in words for the member; None if nothing."""
    if not PHONE_RE.match(value):
        return _("use digits, optionally with a leading +, spaces or -.")
    digits = sum(c.isdigit() for c in value)
    if not PHONE_DIGITS[0] <= digits <= PHONE_DIGITS[1]:
        return _("a phone number has %(low)s to %(high)s digits; this one has %(n)s.") % {
            "low": PHONE_DIGITS[0],
            "high": PHONE_DIGITS[1],
            "n": digits,
        }
    return None


LOOKUP_CHUNK = 900  # well under every database's limit on query parameters
_username_validator = UnicodeUsernameValidator()


def rows_validate(*, rows: list[ImportRow], user: AbstractBaseUser | None) -> None:
    """Fill in ``errors`` (and, for good rows, ``unit_id`` and ``group_name``) of every row.

    ``user`` is the person importing: rows for units outside their scope, and roles they
    may not give, are refused. ``None`` (the command line without ``--unit-scope-user``)
    means no limit.
    """
    for row in rows:
        row.errors = []
        _check_fields(row)
        _check_role_grantable(row, user)
    _check_duplicates(rows)
    _check_existing_usernames(rows, user)
    _check_units(rows, user)


def _check_fields(row: ImportRow) -> None:
    for name in REQUIRED_FIELDS:
        if not getattr(row, name):
            row.errors.append(
                Problem(
                    "missing_field",
                    _("Missing required field: %(field)s.") % {"field": FIELD_LABELS[name]},
                )
            )
    if row.username:
        try:
            _username_validator(row.username)
            if len(row.username) > 150:
                raise ValidationError("too long")
        except ValidationError:
            row.errors.append(
                Problem(
                    "bad_username",
                    _(
                        "Username “%(value)s” is not valid: use at most 150 letters, "
                        "digits and @/./+/-/_."
                    )
                    % {"value": row.username},
                )
            )
    if len(row.full_name) > 150:
        row.errors.append(Problem("bad_full_name", _("Full name is longer than 150 characters.")))
    row.group_name = role_resolve(row.role)
    if row.group_name is None:
        row.errors.append(
            Problem(
                "unknown_role",
                _("Unknown role “%(value)s”: use member, trainer or manager (学员/培训师/管理员).")
                % {"value": row.role},
            )
        )
    if row.email:
        try:
            validate_email(row.email)
        except ValidationError:
            row.errors.append(
                Problem(
                    "bad_email",
                    _("“%(value)s” is not a valid e-mail address.") % {"value": row.email},
                )
            )
    if row.phone and (problem := phone_problem(row.phone)):
        row.errors.append(
            Problem(
                "bad_phone",
                _("Phone number “%(value)s”: %(problem)s")
                % {"value": row.phone, "problem": problem},
            )
        )


def _check_role_grantable(row: ImportRow, user: AbstractBaseUser | None) -> None:
    if row.group_name is not None and row.group_name not in grantable_roles(user=user):
        row.errors.append(
            Problem(
                "role_not_grantable",
                _(
                    "Only an administrator can give the role “%(value)s”: it applies to the "
                    "whole organisation."
                )
                % {"value": row.role},
            )
        )


def _check_duplicates(rows: list[ImportRow]) -> None:
    first_line: dict[str, int] = {}
    for row in rows:
        if not row.username:
            continue
        key = row.username.casefold()
        if key in first_line:
            row.errors.append(
                Problem(
                    "duplicate_in_file",
                    _("Username “%(value)s” already appears on row %(line)d.")
                    % {"value": row.username, "line": first_line[key]},
                )
            )
        else:
            first_line[key] = row.line


def _check_existing_usernames(rows: list[ImportRow], user: AbstractBaseUser | None) -> None:
    """A taken username is refused. The importer learns only what they may see: a username
    of their units "already exists", any other taken one is "not found in your units"."""
    wanted = sorted({row.username.lower() for row in rows if row.username})
    taken = _usernames_among(get_user_model().objects.all(), "username", wanted)
    scoped = user is not None and not user.is_superuser
    visible = (
        _usernames_among(members_visible_to(user=user), "user__username", wanted)
        if scoped and taken
        else taken
    )
    for row in rows:
        key = row.username.lower()
        if not row.username or key not in taken:
            continue
        if not scoped:
            problem = Problem(
                "username_exists",
                _("Username “%(value)s” already exists.") % {"value": row.username},
            )
        elif key in visible:
            problem = Problem(
                "username_exists",
                _("Username “%(value)s” already exists in your units.") % {"value": row.username},
            )
        else:
            problem = Problem(
                "username_not_in_scope",
                _("Username “%(value)s” cannot be used: it was not found in your units.")
                % {"value": row.username},
            )
        row.errors.append(problem)


def _usernames_among(queryset, field: str, wanted: list[str]) -> set[str]:
    found: set[str] = set()
    annotated = queryset.annotate(username_lower=Lower(field))
    for chunk in _chunks(wanted):
        found.update(
            annotated.filter(username_lower__in=chunk).values_list("username_lower", flat=True)
        )
    return found


def _check_units(rows: list[ImportRow], user: AbstractBaseUser | None) -> None:
    codes = sorted({row.unit_code for row in rows if row.unit_code})
    unit_ids: dict[str, int] = {}
    visible: set[str] | None = None
    for chunk in _chunks(codes):
        unit_ids.update(Unit.objects.filter(code__in=chunk).values_list("code", "pk"))
    if user is not None and not user.is_superuser:
        scope = units_visible_to(user=user)
        visible = set()
        for chunk in _chunks(codes):
            visible.update(scope.filter(code__in=chunk).values_list("code", flat=True))
    for row in rows:
        if not row.unit_code:
            continue
        row.unit_id = unit_ids.get(row.unit_code)
        if row.unit_id is None:
            row.errors.append(
                Problem(
                    "unknown_unit",
                    _("Unknown unit code “%(value)s”.") % {"value": row.unit_code},
                )
            )
        elif visible is not None and row.unit_code not in visible:
            row.errors.append(
                Problem(
                    "out_of_scope",
                    _("Unit “%(value)s” is outside the units you manage.")
                    % {"value": row.unit_code},
                )
            )


def _chunks(values: Iterable[str]) -> Iterator[list[str]]:
    iterator = iter(values)
    while chunk := list(islice(iterator, LOOKUP_CHUNK)):
        yield chunk
