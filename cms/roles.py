"""The three roles of the platform. A role is a Django group; these are their names."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

MEMBERS = "Members"
TRAINERS = "Trainers"
MANAGERS = "Managers"

ALL_ROLES = (MEMBERS, TRAINERS, MANAGERS)

# Trainers write courses for the whole organisation; members and managers belong to a unit
# subtree, which is what a manager can give.
ORGANISATION_WIDE_ROLES = (TRAINERS,)
GRANT_ORGANISATION_ROLES_PERMISSION = "cms.grant_organisation_roles"


def grantable_roles(*, user: AbstractBaseUser | AnonymousUser | None) -> tuple[str, ...]:
    """The roles ``user`` may give; ``None`` (the command line) gives any.

    Organisation-wide roles only a superuser gives, or a user holding
    ``GRANT_ORGANISATION_ROLES_PERMISSION`` (a role made for it in Wagtail's Groups admin).
    """
    if user is None or user.is_superuser or user.has_perm(GRANT_ORGANISATION_ROLES_PERMISSION):
        return ALL_ROLES
    return tuple(role for role in ALL_ROLES if role not in ORGANISATION_WIDE_ROLES)
