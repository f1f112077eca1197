"""Wagtail's admin without other branches' notices.

Managers hold page permissions on the whole notice section, so Wagtail would let them
explore every notice: list it, find it in the admin's page search, read its entries in the
site history. Wagtail decides all of these with its page permission policy's
``explorable_instances``; the policy registered here for ``Page`` leaves out the notices out
of the user's scope (``cms.notices.notice_ids_out_of_scope``). Editing, previewing and
reviewing are refused by ``cms.wagtail_hooks``, ``NoticePage.serve_preview`` and the review
task.
"""

from wagtail.models import Page
from wagtail.permission_policies.pages import PagePermissionPolicy
from wagtail.permissions import register_permission_policy

from .notices import notice_ids_out_of_scope


class NoticeScopedPagePermissionPolicy(PagePermissionPolicy):
    """Wagtail's page policy, where the pages a user may explore (the explorer, the admin's
    page search, the page history Wagtail shows) leave out notices out of their scope."""

    def explorable_instances(self, user):
        pages = super().explorable_instances(user)
        if not user.is_authenticated or user.is_superuser:
            return pages
        return pages.exclude(pk__in=notice_ids_out_of_scope(user=user))


def page_permission_policy_scope() -> None:
    """Register the scoped policy for ``Page`` (before any lookup makes a fallback)."""
    register_permission_policy(Page, NoticeScopedPagePermissionPolicy(Page), exact_class=True)
