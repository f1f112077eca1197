"""What the home page shows from the layers above cms, through Wagtail hooks they register
(cms never imports them).

``MEMBER_PANELS_HOOK``: ``fn(request) -> HomePanel | None``, the signed-in member's strip
(hours against the target, required courses due soonest, continue learning). Panels come
in the hooks' order (``hooks.register(..., order=n)``).

``FEATURED_COURSES_HOOK``: ``fn(*, user, page_ids, limit) -> FeaturedCards``: the courses
among ``page_ids`` (in that order; ``None``: the newest) that ``user`` may see, as cards and
the template that renders one (``card`` in its context), so that the home page shows the
catalogue's cards. Without a registration nothing is shown: a course is never offered by a
layer that cannot check its audience.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest
from wagtail import hooks

MEMBER_PANELS_HOOK = "home_member_panels"
FEATURED_COURSES_HOOK = "home_featured_courses"


@dataclass(frozen=True)
class HomePanel:
    """One panel of the member's strip, rendered with ``template`` and ``context``.

    The templates in ``templates/cms/panels/`` take: ``progress.html`` ``value``,
    ``target``, ``percent``, ``unit`` (e.g. "h"), ``link``; ``links.html`` ``rows``, each a
    mapping with ``url``, ``label`` and an optional ``note`` and ``warn``.
    """

    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    link: str = ""
    link_label: str = ""


def member_panels(*, request: HttpRequest) -> list[HomePanel]:
    if not request.user.is_authenticated:
        return []
    panels = (fn(request) for fn in hooks.get_hooks(MEMBER_PANELS_HOOK))
    return [panel for panel in panels if panel is not None]


@dataclass(frozen=True)
class FeaturedCards:
    template: str
    cards: list[Any]


def featured_courses(
    *, request: HttpRequest, page_ids: Sequence[int] | None, limit: int
) -> FeaturedCards | None:
    for fn in hooks.get_hooks(FEATURED_COURSES_HOOK):
        featured = fn(user=request.user, page_ids=page_ids, limit=limit)
        return FeaturedCards(featured.template, list(featured.cards)[:limit])
    return None
