"""Reads about courses: what a member may see, find and has done."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Model, Q, QuerySet
from django.db.models.functions import Length, Substr
from django.utils import timezone
from wagtail import hooks
from wagtail.images import get_image_model
from wagtail.models import Page, ReferenceIndex
from wagtail.permissions import policy_registry

from cms import roles
from cms.selectors import (
    unit_ancestor_paths,
    units_visible_to,
    user_has_role,
    user_unit,
)

from .models import (
    CourseAssignment,
    CourseIndexPage,
    CoursePage,
    Enrolment,
    LessonPage,
    LessonProgress,
    segment_for_search,
)

User = AbstractBaseUser | AnonymousUser


def user_sees_every_course(*, user: User) -> bool:
    """Superusers, staff and trainers see every live course, whatever its audience."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or user.is_staff:
        return True
    return user_has_role(user=user, role=roles.TRAINERS)


def courses_visible_to(*, user: User) -> QuerySet[CoursePage]:
    """Live courses whose audience is everyone, or the member's unit or one of its ancestors."""
    courses = CoursePage.objects.live()
    if not user.is_authenticated:
        return courses.none()
    if user_sees_every_course(user=user):
        return courses
    audience = Q(audience_everyone=True)
    unit = user_unit(user=user)
    if unit is not None:
        through = CoursePage.audience_units.through
        audience |= Q(
            pk__in=through.objects.filter(unit__path__in=unit_ancestor_paths(unit=unit)).values(
                "coursepage_id"
            )
        )
    return courses.filter(audience)


def course_visible_to(*, user: User, course: CoursePage) -> bool:
    return courses_visible_to(user=user).filter(pk=course.pk).exists()


def lesson_visible_to(*, user: User, lesson: LessonPage) -> bool:
    """The lesson is live and its course is visible to the user."""
    if not user.is_authenticated or not lesson.live:
        return False
    parent_path = lesson.path[: -LessonPage.steplen]
    return courses_visible_to(user=user).filter(path=parent_path).exists()


def course_of_lesson(*, lesson: LessonPage) -> CoursePage:
    return CoursePage.objects.get(path=lesson.path[: -LessonPage.steplen])


# --- private files (documents and images) ------------------------------------

EDIT_ACTIONS = ["change", "choose"]  # an editor sees what they may put on a page


def _used_by_visible_course(*, user: User, obj: Model) -> bool:
    """A live page of a course the user may see uses ``obj``: the course itself (a cover, a
    link in its description) or a page below it (a lesson body), per Wagtail's reference
    index."""
    page_ids = [
        int(pk)
        for pk in ReferenceIndex.get_references_to(obj)
        .filter(base_content_type=ContentType.objects.get_for_model(Page))
        .values_list("object_id", flat=True)
        .distinct()
        if str(pk).isdigit()
    ]
    if not page_ids:
        return False
    step = Page.steplen
    paths = {
        path[:end]
        for path in Page.objects.live().filter(pk__in=page_ids).values_list("path", flat=True)
        for end in range(step, len(path) + 1, step)
    }
    return bool(paths) and courses_visible_to(user=user).filter(path__in=paths).exists()


def file_visible_to(*, user: User, file: Model) -> bool:
    """Who may get a document (a course handout) or an image (a cover, a picture in a
    lesson).

    Those who see every course, and those who may edit the file in the admin; other
    members only when a live page of a course they may see uses it. A file that no course
    uses is not published to members.
    """
    if not user.is_authenticated:
        return False
    if user_sees_every_course(user=user):
        return True
    policy = policy_registry.get_by_type(type(file))
    if policy.user_has_any_permission_for_instance(user, EDIT_ACTIONS, file):
        return True
    return _used_by_visible_course(user=user, obj=file)


def rendition_by_file_name(*, name: str) -> Model | None:
    """The image rendition stored under ``name`` (``images/…``), with its image."""
    Rendition = get_image_model().get_rendition_model()
    return Rendition.objects.filter(file=name).select_related("image").first()


# --- catalogue ---------------------------------------------------------------


@dataclass
class CourseCard:
    course: CoursePage
    enrolment: Enrolment | None
    lessons_required: int
    lessons_done: int

    @property
    def percent(self) -> int:
        return course_percent(
            enrolment=self.enrolment, done=self.lessons_done, required=self.lessons_required
        )


def course_percent(*, enrolment: Enrolment | None, done: int, required: int) -> int:
    """A course's progress in percent: every figure of it comes from here."""
    if enrolment is not None and enrolment.completed_at is not None:
        return 100
    if not required:
        return 0
    return round(100 * done / required)


def catalogue_search(
    *,
    user: User,
    query: str = "",
    topic: str = "",
    tag: str = "",
    index: CourseIndexPage | None = None,
) -> QuerySet[CoursePage]:
    """Visible courses matching a search, a topic slug and a tag slug.

    Chinese is matched word by word: the query is segmented with jieba (search mode) and
    every word must occur in the course's segmented title and summary, or the raw query in
    the title. The same on SQLite and PostgreSQL.
    """
    courses = courses_visible_to(user=user)
    if index is not None:
        courses = courses.descendant_of(index)
    if topic:
        courses = courses.filter(topic__slug=topic)
    if tag:
        courses = courses.filter(
            pk__in=CoursePage.tags.through.objects.filter(tag__slug=tag).values("content_object_id")
        )
    query = (query or "").strip()
    if query:
        words = segment_for_search(query).split()
        by_words = Q()
        for word in words:
            by_words &= Q(search_terms__icontains=word)
        match = Q(title__icontains=query)
        if words:
            match |= by_words
        courses = courses.filter(match)
    return courses.order_by("-first_published_at", "-pk")


def catalogue_cards(*, user: User, courses: list[CoursePage] | QuerySet) -> list[CourseCard]:
    """Cards for one page of the catalogue, in a constant number of queries.

    ``courses`` should come from ``catalogue_queryset`` so that covers, their renditions
    and topics are already fetched.
    """
    courses = list(courses)
    if not courses or not user.is_authenticated:
        return [CourseCard(course, None, 0, 0) for course in courses]
    paths = [course.path for course in courses]
    enrolments = {
        e.course_id: e
        for e in Enrolment.objects.filter(user=user, course__in=[c.pk for c in courses])
    }
    required, done = _required_lesson_counts(user=user, course_paths=paths)
    return [
        CourseCard(
            course,
            enrolments.get(course.pk),
            required.get(course.path, 0),
            done.get(course.path, 0),
        )
        for course in courses
    ]


def catalogue_queryset(courses: QuerySet[CoursePage]) -> QuerySet[CoursePage]:
    """What a course card needs, fetched with the courses: topic and cover (its renditions
    come in one query for the whole list, from ``courses.covers``)."""
    return courses.select_related("topic", "cover")


def _required_lesson_counts(
    *, user: User, course_paths: list[str]
) -> tuple[dict[str, int], dict[str, int]]:
    """Per course path: live required lessons, and those the user has done. Two queries."""
    step = Page.steplen
    parent = Substr("path", 1, Length("path") - step)
    required = dict(
        LessonPage.objects.live()
        .filter(required_for_completion=True)
        .annotate(parent_path=parent)
        .filter(parent_path__in=course_paths)
        .order_by()  # a default ordering would split the groups
        .values("parent_path")
        .annotate(n=Count("pk"))
        .values_list("parent_path", "n")
    )
    done = dict(
        LessonProgress.objects.filter(
            user=user,
            state=LessonProgress.State.DONE,
            lesson__live=True,
            lesson__required_for_completion=True,
        )
        .annotate(parent_path=Substr("lesson__path", 1, Length("lesson__path") - step))
        .filter(parent_path__in=course_paths)
        .order_by()  # a default ordering would split the groups
        .values("parent_path")
        .annotate(n=Count("pk"))
        .values_list("parent_path", "n")
    )
    return required, done


# --- one course --------------------------------------------------------------


@dataclass
class LessonRow:
    lesson: LessonPage
    state: str
    locked: bool
    last_position_seconds: float = 0

    @property
    def is_done(self) -> bool:
        return self.state == LessonProgress.State.DONE


@dataclass
class CourseProgress:
    course: CoursePage
    enrolment: Enrolment | None
    lessons: list[LessonRow]
    required_total: int
    required_done: int
    next_lesson: LessonPage | None
    # The lesson the member is in: the one last touched and not done, else the next to do.
    current_lesson: LessonPage | None = None
    # The lesson whose page shows this outline ("you are here"), if any.
    here: LessonPage | None = None

    @property
    def here_number(self) -> int | None:
        """The 1-based place of ``here`` in the course (None when it is not live)."""
        if self.here is None:
            return None
        numbers = (i for i, row in enumerate(self.lessons, 1) if row.lesson.pk == self.here.pk)
        return next(numbers, None)

    @property
    def is_enrolled(self) -> bool:
        return self.enrolment is not None

    @property
    def is_complete(self) -> bool:
        return self.enrolment is not None and self.enrolment.completed_at is not None

    @property
    def percent(self) -> int:
        return course_percent(
            enrolment=self.enrolment, done=self.required_done, required=self.required_total
        )

    @property
    def hours_credited(self) -> Decimal:
        if self.enrolment is None or self.enrolment.awarded_hours is None:
            return Decimal("0")
        return self.enrolment.awarded_hours

    @property
    def lessons_done(self) -> int:
        return sum(row.is_done for row in self.lessons)

    def row_of(self, lesson: LessonPage) -> LessonRow | None:
        return next((row for row in self.lessons if row.lesson.pk == lesson.pk), None)

    def neighbours(self, lesson: LessonPage) -> tuple[LessonPage | None, LessonPage | None]:
        """The lessons just before and after ``lesson`` (None, None when it is not live)."""
        index = next((i for i, row in enumerate(self.lessons) if row.lesson.pk == lesson.pk), None)
        if index is None:
            return None, None
        before = self.lessons[index - 1].lesson if index > 0 else None
        after = self.lessons[index + 1].lesson if index + 1 < len(self.lessons) else None
        return before, after


def course_lessons(*, course: CoursePage) -> QuerySet[LessonPage]:
    """The course's live lessons in order, without their bodies."""
    return LessonPage.objects.live().child_of(course).defer("body").order_by("path")


def course_progress(
    *, user: User, course: CoursePage, here: LessonPage | None = None
) -> CourseProgress:
    """Lessons with their states and locks, progress and next step. Three queries.

    ``here``: the lesson whose page shows the outline."""
    lessons = list(course_lessons(course=course))
    enrolment = None
    progress: dict[int, LessonProgress] = {}
    if user.is_authenticated and course.pk is not None:  # no pk: preview of a new course
        enrolment = (
            Enrolment.objects.filter(user=user, course=course).select_related("assignment").first()
        )
        progress = {
            p.lesson_id: p
            for p in LessonProgress.objects.filter(user=user, lesson__in=[ls.pk for ls in lessons])
        }
    rows: list[LessonRow] = []
    blocked = False
    required_total = required_done = 0
    next_lesson = None
    in_progress = [p for p in progress.values() if p.state == LessonProgress.State.IN_PROGRESS]
    latest = max(in_progress, key=lambda p: (p.updated_at, p.pk), default=None)
    for lesson in lessons:
        p = progress.get(lesson.pk)
        state = p.state if p else LessonProgress.State.NOT_STARTED
        rows.append(
            LessonRow(
                lesson,
                state,
                locked=course.enforce_order and blocked,
                last_position_seconds=p.last_position_seconds if p else 0,
            )
        )
        done = state == LessonProgress.State.DONE
        if lesson.required_for_completion:
            required_total += 1
            required_done += done
            if not done:
                blocked = True
        if next_lesson is None and not done:
            next_lesson = lesson
    current = next((r.lesson for r in rows if latest and r.lesson.pk == latest.lesson_id), None)
    return CourseProgress(
        course,
        enrolment,
        rows,
        required_total,
        required_done,
        next_lesson,
        current_lesson=current or next_lesson,
        here=here,
    )


def lesson_neighbours(
    *, lesson: LessonPage, course: CoursePage
) -> tuple[LessonPage | None, LessonPage | None]:
    """The live lessons just before and after ``lesson`` in the course's order."""
    lessons = list(course_lessons(course=course))
    index = next((i for i, other in enumerate(lessons) if other.pk == lesson.pk), None)
    if index is None:
        return None, None
    before = lessons[index - 1] if index > 0 else None
    after = lessons[index + 1] if index + 1 < len(lessons) else None
    return before, after


def lesson_is_locked(*, user: User, lesson: LessonPage, course: CoursePage | None = None) -> bool:
    """With order enforced, a lesson is locked until the required lessons before it are done."""
    course = course or course_of_lesson(lesson=lesson)
    if not course.enforce_order:
        return False
    earlier_required = (
        LessonPage.objects.live()
        .child_of(course)
        .filter(required_for_completion=True, path__lt=lesson.path)
    )
    if not user.is_authenticated:
        return earlier_required.exists()
    return earlier_required.exclude(
        pk__in=LessonProgress.objects.filter(user=user, state=LessonProgress.State.DONE).values(
            "lesson_id"
        )
    ).exists()


def is_enrolled(*, user: User, course: CoursePage) -> bool:
    if not user.is_authenticated:
        return False
    return Enrolment.objects.filter(user=user, course=course).exists()


def lesson_progress_for(*, user: User, lesson: LessonPage) -> LessonProgress | None:
    if not user.is_authenticated:
        return None
    return LessonProgress.objects.filter(user=user, lesson=lesson).first()


# --- My learning -------------------------------------------------------------


@dataclass
class LearningRow:
    enrolment: Enrolment
    card: CourseCard
    overdue: bool = False

    @property
    def course(self) -> CoursePage:
        return self.enrolment.course


@dataclass
class MemberLearning:
    required: list[LearningRow] = field(default_factory=list)
    in_progress: list[LearningRow] = field(default_factory=list)
    completed: list[LearningRow] = field(default_factory=list)


def member_learning(*, user: User, today: date | None = None) -> MemberLearning:
    """A member's enrolments: required first (earliest due first), in progress, completed."""
    today = today or timezone.localdate()
    learning = MemberLearning()
    if not user.is_authenticated:
        return learning
    enrolments = list(
        Enrolment.objects.filter(user=user, course__live=True)
        .select_related("assignment")
        .order_by("enrolled_at")
    )
    course_ids = [e.course_id for e in enrolments]
    courses = {c.pk: c for c in catalogue_queryset(CoursePage.objects.filter(pk__in=course_ids))}
    for enrolment in enrolments:
        enrolment.course = courses[enrolment.course_id]
    cards = {
        card.course.pk: card
        for card in catalogue_cards(user=user, courses=[e.course for e in enrolments])
    }
    for enrolment in enrolments:
        row = LearningRow(enrolment, cards[enrolment.course_id])
        if enrolment.completed_at is not None:
            learning.completed.append(row)
        elif enrolment.is_required:
            row.overdue = enrolment.due_date is not None and enrolment.due_date < today
            learning.required.append(row)
        else:
            learning.in_progress.append(row)
    learning.required.sort(key=lambda r: (r.enrolment.due_date or date.max, r.course.title))
    learning.completed.sort(key=lambda r: r.enrolment.completed_at, reverse=True)
    return learning


# --- continue learning ---------------------------------------------------------

# Higher layers (exams.tracking: the watch log) tell what a member did in lessons through
# this hook, since courses may not import them: ``fn(*, user, limit) -> Iterable[
# LessonActivity]``, most recent first, lessons not completed in that log only.
LESSON_ACTIVITY_HOOK = "lesson_activity_for_member"
ACTIVITY_WINDOW = 50  # recent lessons looked at; members rarely have more open at once
MAX_START_SECONDS = 24 * 3600


@dataclass(frozen=True)
class LessonActivity:
    lesson_id: int
    position_seconds: float
    duration_seconds: float  # 0: no media (a reading)
    covered_seconds: float
    at: datetime


@dataclass(frozen=True)
class ContinueRow:
    lesson: LessonPage
    course: CoursePage
    position_seconds: int
    percent: int | None  # share of the video watched; None for a reading
    at: datetime

    @property
    def position_label(self) -> str:
        if not self.position_seconds:
            return ""
        return "{}:{:02d}".format(*divmod(self.position_seconds, 60))

    @property
    def url(self) -> str:
        """The lesson, at the position reached in its video (``?t=`` the player honours)."""
        if self.percent is None or not self.position_seconds:
            return self.lesson.url
        return f"{self.lesson.url}?t={self.position_seconds}"


def start_seconds_from(value: str | None) -> int | None:
    """A ``?t=`` start position: whole seconds in [0, 24 h), or None for anything else."""
    try:
        seconds = float((value or "").strip())
    except ValueError:
        return None
    if not 0 <= seconds < MAX_START_SECONDS:  # also refuses nan and inf
        return None
    return int(seconds)


def _lesson_activity(*, user: User) -> dict[int, LessonActivity]:
    activity: dict[int, LessonActivity] = {}
    for provider in hooks.get_hooks(LESSON_ACTIVITY_HOOK):
        for item in provider(user=user, limit=ACTIVITY_WINDOW):
            known = activity.get(item.lesson_id)
            if known is None or item.at > known.at:
                activity[item.lesson_id] = item
    return activity


def continue_learning(*, user: User, limit: int = 3) -> list[ContinueRow]:
    """The lessons a member is really in, one per course they have not completed, most
    recent first: the watch log's position in a video or time in a reading (through
    ``LESSON_ACTIVITY_HOOK``), or a lesson opened and not done. Only live lessons of
    courses the member may still see; a done lesson never shows."""
    if not user.is_authenticated or limit <= 0:
        return []
    activity = _lesson_activity(user=user)
    mine = LessonProgress.objects.filter(user=user)
    # lessons opened and not done, the most recent first; and every lesson of the watch log,
    # whose own state may say done
    opened = mine.filter(state=LessonProgress.State.IN_PROGRESS).order_by("-updated_at")
    progress = {p.lesson_id: p for p in opened[:ACTIVITY_WINDOW]}
    progress |= {p.lesson_id: p for p in mine.filter(lesson_id__in=list(activity))}
    candidates = {
        lesson_id
        for lesson_id in set(activity) | set(progress)
        if lesson_id not in progress or progress[lesson_id].state != LessonProgress.State.DONE
    }
    if not candidates:
        return []
    step = Page.steplen
    lessons = list(LessonPage.objects.live().filter(pk__in=candidates).defer("body"))
    courses = {
        c.path: c
        for c in courses_visible_to(user=user).filter(
            path__in={lesson.path[:-step] for lesson in lessons}
        )
    }
    completed = set(
        Enrolment.objects.filter(
            user=user, course__in=[c.pk for c in courses.values()], completed_at__isnull=False
        ).values_list("course_id", flat=True)
    )
    latest: dict[int, ContinueRow] = {}  # per course
    for lesson in lessons:
        course = courses.get(lesson.path[:-step])
        if course is None or course.pk in completed:
            continue
        row = _continue_row(
            lesson=lesson,
            course=course,
            activity=activity.get(lesson.pk),
            progress=progress.get(lesson.pk),
        )
        known = latest.get(course.pk)
        if known is None or (row.at, row.lesson.path) > (known.at, known.lesson.path):
            latest[course.pk] = row
    return sorted(latest.values(), key=lambda r: r.at, reverse=True)[:limit]


def _continue_row(
    *,
    lesson: LessonPage,
    course: CoursePage,
    activity: LessonActivity | None,
    progress: LessonProgress | None,
) -> ContinueRow:
    times = [t for t in (activity and activity.at, progress and progress.updated_at) if t]
    if activity is not None and activity.duration_seconds > 0:
        position = min(activity.position_seconds, activity.duration_seconds)
        percent = min(100, round(100 * activity.covered_seconds / activity.duration_seconds))
    else:
        position = progress.last_position_seconds if progress is not None else 0
        percent = None
    return ContinueRow(lesson, course, int(position), percent, max(times))


# --- assignments ---------------------------------------------------------------


def assignments_visible_to(*, user: User) -> QuerySet[CourseAssignment]:
    """Assignments of the units this user may see (``cms.selectors.units_visible_to``)."""
    return (
        CourseAssignment.objects.filter(unit__in=units_visible_to(user=user))
        .select_related("course", "unit", "assigned_by")
        .order_by("withdrawn_at", "-created_at")
    )
