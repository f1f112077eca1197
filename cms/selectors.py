"""Reads about the organisation. Scope is decided here and nowhere else."""

from decimal import Decimal

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet, Sum
from django.utils import timezone

from . import roles
from .models import MemberProfile, Unit


def user_unit(*, user: AbstractBaseUser | AnonymousUser) -> Unit | None:
    """The unit the user belongs to (for a manager: the unit they manage)."""
    if not user.is_authenticated:
        return None
    profile = getattr(user, "profile", None)
    return profile.unit if profile else None


def user_has_role(*, user: AbstractBaseUser | AnonymousUser, role: str) -> bool:
    if not user.is_authenticated:
        return False
    return user.groups.filter(name=role).exists()


def user_is_manager(*, user: AbstractBaseUser | AnonymousUser) -> bool:
    return user_has_role(user=user, role=roles.MANAGERS)


def unit_subtree(*, unit: Unit) -> QuerySet[Unit]:
    """The unit and every unit below it."""
    return Unit.objects.filter(path__startswith=unit.path)


def units_visible_to(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Unit]:
    """The units whose data this user may see.

    Superusers see every unit; a manager sees the subtree of the unit they manage;
    anyone else sees only their own unit (and, through ``members_visible_to``, only
    themselves in it).
    """
    if not user.is_authenticated:
        return Unit.objects.none()
    if user.is_superuser:
        return Unit.objects.all()
    unit = user_unit(user=user)
    if unit is None:
        return Unit.objects.none()
    if user_is_manager(user=user):
        return unit_subtree(unit=unit)
    return Unit.objects.filter(pk=unit.pk)


def members_visible_to(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[MemberProfile]:
    """The member profiles whose data this user may see (a member: only their own)."""
    if not user.is_authenticated:
        return MemberProfile.objects.none()
    if user.is_superuser:
        return MemberProfile.objects.all()
    unit = user_unit(user=user)
    if unit is None:
        return MemberProfile.objects.none()
    if user_is_manager(user=user):
        return MemberProfile.objects.filter(unit__path__startswith=unit.path)
    return MemberProfile.objects.filter(user=user)


def unit_ancestor_paths(*, unit: Unit) -> list[str]:
    """Paths of the unit and its ancestors, nearest first."""
    step = Unit.steplen
    return [unit.path[:end] for end in range(len(unit.path), 0, -step)]


def unit_yearly_target(*, unit: Unit) -> Decimal:
    """The unit's own target, else the nearest ancestor's, else the platform default."""
    if unit.yearly_target_hours is not None:
        return unit.yearly_target_hours
    inherited = (
        Unit.objects.filter(path__in=unit_ancestor_paths(unit=unit))
        .exclude(yearly_target_hours=None)
        .order_by("-depth")
        .values_list("yearly_target_hours", flat=True)
        .first()
    )
    if inherited is not None:
        return inherited
    return Decimal(settings.DEFAULT_YEARLY_STUDY_HOURS)


def unit_yearly_targets(*, units: list[Unit]) -> dict[int, Decimal]:
    """``unit_yearly_target`` for many units in one query (for listings)."""
    paths = {path for unit in units for path in unit_ancestor_paths(unit=unit)}
    own = dict(
        Unit.objects.filter(path__in=paths)
        .exclude(yearly_target_hours=None)
        .values_list("path", "yearly_target_hours")
    )
    default = Decimal(settings.DEFAULT_YEARLY_STUDY_HOURS)
    return {
        unit.pk: next(
            (own[path] for path in unit_ancestor_paths(unit=unit) if path in own), default
        )
        for unit in units
    }


def member_yearly_target(*, user: AbstractBaseUser | AnonymousUser) -> Decimal:
    unit = user_unit(user=user)
    if unit is None:
        return Decimal(settings.DEFAULT_YEARLY_STUDY_HOURS)
    return unit_yearly_target(unit=unit)


def member_login_locked(*, profile: MemberProfile) -> bool:
    """Whether the member's username is locked out by failed logins (cms.login_throttling)."""
    failures = AccessAttempt.objects.filter(
        username=profile.user.username,
        attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME,
    ).aggregate(total=Sum("failures_since_start"))["total"]
    return (failures or 0) >= settings.AXES_FAILURE_LIMIT
