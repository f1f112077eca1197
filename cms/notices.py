"""Reads about notices: who sees which, and which a manager may write or review.

A notice without audience units is for everyone (anonymous visitors included); a notice
for units is for the members of those units and of the units below them. Managers write
and review notices for units of their own subtree only; a notice for everyone is the
administrators' (superusers').
"""

from collections.abc import Iterable
from datetime import date

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import NoticePage, Unit
from .selectors import unit_ancestor_paths, units_visible_to, user_unit

User = AbstractBaseUser | AnonymousUser


def _audience_through():
    return NoticePage.audience_units.through


def notices_visible_to(*, user: User, today: date | None = None) -> QuerySet[NoticePage]:
    """Live notices the user may read today, pinned first, then the newest.

    Superusers read every current notice; anyone else those for everyone and, when they
    belong to a unit, those for their unit or a unit above it.
    """
    today = today or timezone.localdate()
    through = _audience_through()
    notices = NoticePage.objects.live().filter(
        Q(expires__isnull=True) | Q(expires__gte=today), date__lte=today
    )
    if not (user.is_authenticated and user.is_superuser):
        audience = ~Q(pk__in=through.objects.values("noticepage_id"))
        unit = user_unit(user=user)
        if unit is not None:
            audience |= Q(
                pk__in=through.objects.filter(unit__path__in=unit_ancestor_paths(unit=unit)).values(
                    "noticepage_id"
                )
            )
        notices = notices.filter(audience)
    return notices.order_by("-pinned", "-date", "-pk")


def notice_visible_to(*, user: User, notice: NoticePage) -> bool:
    return notices_visible_to(user=user).filter(pk=notice.pk).exists()


def notice_audience_allowed(*, user: User, unit_ids: Iterable[int]) -> bool:
    """Whether ``user`` may write or review a notice for these units (none: everyone)."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    unit_ids = set(unit_ids)
    if not unit_ids:
        return False
    return units_visible_to(user=user).filter(pk__in=unit_ids).count() == len(unit_ids)


def notice_in_scope(*, user: User, notice: NoticePage) -> bool:
    """Whether ``user`` may edit, review or remove ``notice``: its audience as last saved
    (the live page's and the latest draft's) lies in the user's subtree."""
    unit_ids = set(notice.audience_units.values_list("pk", flat=True))
    if notice.has_unpublished_changes:
        draft = notice.get_latest_revision_as_object()
        unit_ids |= {unit.pk for unit in draft.audience_units.all()}
    return notice_audience_allowed(user=user, unit_ids=unit_ids)


def notice_ids_out_of_scope(*, user: User) -> QuerySet[NoticePage]:
    """Notices (as values of ``pk``) the user may not edit or review: for everyone, or
    for a unit outside the user's subtree. Empty for superusers."""
    if user.is_authenticated and user.is_superuser:
        return NoticePage.objects.none().values("pk")
    through = _audience_through()
    targeted = through.objects.values("noticepage_id")
    outside = through.objects.exclude(unit__in=units_visible_to(user=user)).values("noticepage_id")
    return NoticePage.objects.filter(~Q(pk__in=targeted) | Q(pk__in=outside)).values("pk")


def notice_units_for(*, user: User) -> QuerySet[Unit]:
    """The units a user may choose as a notice's audience."""
    if user.is_authenticated and user.is_superuser:
        return Unit.objects.all()
    return units_visible_to(user=user)
