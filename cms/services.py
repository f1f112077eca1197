"""Writes to the organisation: units, members and roles."""

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.db import transaction

from . import roles
from .models import MemberProfile, Unit


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
    return user
