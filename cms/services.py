"""Writes to the organisation: units, members and roles."""

from decimal import Decimal

from axes.utils import reset as axes_reset
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.db import transaction
from wagtail.log_actions import log

from . import roles
from .models import MemberProfile, Unit
from .signals import members_joined_units


def unit_create(
    *,
    name: str,
    code: str,
    parent: Unit | None = None,
    yearly_target_hours: Decimal | None = None,
) -> Unit:
    unit = Unit(name=name, code=code, yearly_target_hours=yearly_target_hours)
    if parent is None:
        return Unit.add_root(instance=unit)
    return parent.add_child(instance=unit)


def unit_get_or_create(
    *,
    name: str,
    code: str,
    parent: Unit | None = None,
    yearly_target_hours: Decimal | None = None,
) -> Unit:
    existing = Unit.objects.filter(code=code).first()
    if existing is not None:
        return existing
    return unit_create(name=name, code=code, parent=parent, yearly_target_hours=yearly_target_hours)


def roles_ensure() -> dict[str, Group]:
    return {name: Group.objects.get_or_create(name=name)[0] for name in roles.ALL_ROLES}


@transaction.atomic
def member_create(
    *,
    username: str,
    full_name: str,
    unit: Unit,
    role: str = roles.MEMBERS,
    email: str = "",
    phone: str = "",
    password: str | None = None,
) -> AbstractUser:
    """Create a user with a profile in ``unit`` and the given role.

    Without a password the account gets an unusable one; the member sets it through
    the password-reset mail.
    """
    user = get_user_model().objects.create_user(username=username, email=email, password=password)
    user.first_name = full_name[:150]
    user.save(update_fields=["first_name"])
    MemberProfile.objects.create(user=user, unit=unit, full_name=full_name, phone=phone)
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    # courses already assigned to the unit enrol the member
    members_joined_units.send(sender=MemberProfile, user_ids=[user.pk])
    return user


class UnitMoveError(ValueError):
    """A unit cannot go under itself or one of its own descendants."""


def unit_update(
    *,
    unit: Unit,
    name: str,
    code: str,
    yearly_target_hours: Decimal | None,
    parent: Unit | None,
) -> Unit:
    """Change a unit's fields and, when ``parent`` differs, move it with its subtree."""
    with transaction.atomic():
        unit.name, unit.code, unit.yearly_target_hours = name, code, yearly_target_hours
        unit.save(update_fields=["name", "code", "yearly_target_hours"])
        current = unit.get_parent(update=True)
        if (current.pk if current else None) == (parent.pk if parent else None):
            return unit
        if parent is not None and parent.path.startswith(unit.path):
            raise UnitMoveError("a unit cannot be moved under itself or its descendants")
        if parent is None:
            unit.move(Unit.get_first_root_node(), "sorted-sibling")
        else:
            unit.move(Unit.objects.get(pk=parent.pk), "sorted-child")
    unit.refresh_from_db()
    return unit


def member_role_set(*, user: AbstractUser, role: str) -> None:
    """Give the user exactly one of the platform roles (other groups are left alone)."""
    groups = roles_ensure()
    user.groups.remove(*[group for name, group in groups.items() if name != role])
    user.groups.add(groups[role])


@transaction.atomic
def member_update(
    *, profile: MemberProfile, full_name: str, unit: Unit, phone: str, role: str
) -> MemberProfile:
    stored_unit_id = MemberProfile.objects.filter(pk=profile.pk).values_list("unit_id", flat=True)
    moved = stored_unit_id.first() != unit.pk
    profile.full_name, profile.unit, profile.phone = full_name, unit, phone
    profile.save(update_fields=["full_name", "unit", "phone"])
    user = profile.user
    user.first_name = full_name[:150]
    user.save(update_fields=["first_name"])
    member_role_set(user=user, role=role)
    if moved:  # courses assigned to the new unit enrol the member
        members_joined_units.send(sender=MemberProfile, user_ids=[user.pk])
    return profile


ACTION_LOGIN_UNLOCKED = "cms.member_login_unlocked"  # registered in cms.wagtail_hooks


@transaction.atomic
def member_login_unlock(*, profile: MemberProfile, by: AbstractUser) -> int:
    """Clear the failed logins counted against the member's username (their lockout), and
    audit-log it. Returns how many attempt records were cleared."""
    cleared = axes_reset(username=profile.user.username)
    log(profile, ACTION_LOGIN_UNLOCKED, user=by, data={"attempt_records_cleared": cleared})
    return cleared
