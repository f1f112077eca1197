"""What the watch log tells lower layers, through hooks they call (they may not import us)."""

from collections.abc import Iterable

from wagtail import hooks

from courses.selectors import LESSON_ACTIVITY_HOOK, LessonActivity, User

from .models import WatchSummary


@hooks.register(LESSON_ACTIVITY_HOOK)
def lesson_activity_for_member(*, user: User, limit: int) -> Iterable[LessonActivity]:
    """The member's lessons not completed in the watch log, most recent first: the position
    in a video, or the time spent on a reading (``courses.selectors.continue_learning``)."""
    if not user.is_authenticated:
        return []
    rows = (
        WatchSummary.objects.filter(user=user, completed_at__isnull=True, lesson__live=True)
        .order_by("-updated_at")
        .values_list("lesson_id", "last_position", "duration", "coverage_seconds", "updated_at")
    )
    return [LessonActivity(*row) for row in rows[:limit]]
