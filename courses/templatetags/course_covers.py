"""``{% course_covers_for courses as covers %}`` once before a list of course cards (one batch
of queries for the whole list), then ``{% course_cover course "card" %}`` in each card, or
``{% course_cover page "header" %}`` on a course page."""

from django import template

from ..covers import COVER_SIZES, Cover, course_covers

register = template.Library()


def _user(context):
    request = context.get("request")
    return getattr(request, "user", None)


@register.simple_tag(takes_context=True)
def course_covers_for(context, *lists) -> dict[int, Cover]:
    """Covers for lists of courses, or of anything with a ``course`` (catalogue cards, rows
    of "My learning"), in one batch."""
    user = _user(context)
    courses = [getattr(item, "course", item) for items in lists for item in items or []]
    if user is None:
        return {}
    return course_covers(user=user, courses=courses)


@register.inclusion_tag("courses/includes/cover.html", takes_context=True)
def course_cover(context, course, place: str = "card") -> dict:
    covers = context.get("covers") or {}
    cover = covers.get(course.pk)
    if cover is None:  # not batched: this course alone
        user = _user(context)
        cover = course_covers(user=user, courses=[course])[course.pk] if user else Cover()
    return {"cover": cover, "sizes": COVER_SIZES.get(place, COVER_SIZES["card"]), "place": place}
