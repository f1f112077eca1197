import logging
import math
from decimal import Decimal
from typing import TYPE_CHECKING

import jieba
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from taggit.models import TaggedItemBase
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import AbstractGroupApprovalTask, Page
from wagtail.search import index

from cms import roles
from cms.second_person_review import SecondPersonReviewMixin

from .blocks import LessonBodyBlock

if TYPE_CHECKING:
    from media_pipeline.models import LectureVideo

jieba.setLogLevel(logging.WARNING)  # not "Building prefix dict…" on every first search


def segment_for_search(*texts: str) -> str:
    """Chinese-aware search terms: jieba's search-mode words, space separated, deduplicated.

    The database search backends do not segment Chinese, so titles and summaries are
    segmented here and matched term by term (see ``courses.selectors.catalogue_search``).
    """
    seen: dict[str, None] = {}
    for text in texts:
        for word in jieba.cut_for_search(text or ""):
            word = word.strip().lower()
            if any(ch.isalnum() for ch in word):
                seen.setdefault(word, None)
    return " ".join(seen)


# Credit hours ---------------------------------------------------------------------------
# A course's credit is checked against the study time behind it whenever either changes in
# the admin (the course and lesson forms) and again when "Course review" approves it.

COURSE_CREDIT_HOOK = "course_credit_validate"
"""Hook point for higher layers: ``fn(course=..., credit_hours=..., estimated_minutes_total=...)``
raises ``ValidationError`` to refuse a credit (exams registers the study-hour rules' ceiling)."""

MINUTES_PER_CREDIT_HOUR = 45  # one credit hour (学时) is one 45-minute class period


def lesson_video(body) -> "LectureVideo | None":
    """The first lecture video of a lesson body (a stream value), or None."""
    for block in body or []:
        if block.block_type == "lecture_video" and block.value.get("video") is not None:
            return block.value["video"]
    return None


def lesson_study_minutes(*, estimated_minutes: int | None, video: "LectureVideo | None") -> int:
    """A lesson's study time: its estimate, or its lecture video's length when longer."""
    video_minutes = math.ceil((getattr(video, "duration", 0) or 0) / 60)
    return max(estimated_minutes or 0, video_minutes)


def course_study_minutes(
    *, course: "CoursePage", lesson_pk: int | None = None, lesson_minutes: int = 0
) -> int:
    """Minutes of the course's required lessons, each as last saved (drafts included).

    ``lesson_minutes`` stands for the lesson ``lesson_pk`` (a new lesson when ``None``)
    as it is about to be saved: 0 when it is not required.
    """
    total = lesson_minutes
    if course.pk is None:
        return total
    for lesson in LessonPage.objects.child_of(course).exclude(pk=lesson_pk):
        if lesson.has_unpublished_changes:
            lesson = lesson.get_latest_revision_as_object()
        if lesson.required_for_completion:
            total += lesson.study_minutes
    return total


def course_credit_errors(
    *, course: "CoursePage", credit_hours: Decimal, estimated_minutes_total: int
) -> list[ValidationError]:
    """Why ``credit_hours`` cannot be the course's credit; empty when it can.

    The rule of this layer: every credit hour needs ``MINUTES_PER_CREDIT_HOUR`` minutes of
    required lessons. Hooks registered as ``COURSE_CREDIT_HOOK`` add theirs.
    """
    credit_hours = Decimal(credit_hours or 0)
    errors: list[ValidationError] = []
    needed = math.ceil(credit_hours * MINUTES_PER_CREDIT_HOUR)
    if estimated_minutes_total < needed:
        errors.append(
            ValidationError(
                _(
                    "%(hours)s credit hours need at least %(needed)d minutes of required "
                    "lessons (%(per_hour)d minutes per credit hour); the course's required "
                    "lessons add up to %(minutes)d minutes."
                ),
                code="credit_exceeds_study_time",
                params={
                    "hours": credit_hours,
                    "needed": needed,
                    "per_hour": MINUTES_PER_CREDIT_HOUR,
                    "minutes": estimated_minutes_total,
                },
            )
        )
    for fn in hooks.get_hooks(COURSE_CREDIT_HOOK):
        try:
            fn(
                course=course,
                credit_hours=credit_hours,
                estimated_minutes_total=estimated_minutes_total,
            )
        except ValidationError as error:
            errors.extend(error.error_list)
    return errors


def page_credit_errors(*, page: Page) -> list[ValidationError]:
    """The credit rules for a course or lesson page as it is about to be published."""
    page = page.specific
    if isinstance(page, CoursePage):
        return course_credit_errors(
            course=page,
            credit_hours=page.credit_hours,
            estimated_minutes_total=course_study_minutes(course=page),
        )
    if isinstance(page, LessonPage):
        course = page.get_parent().specific
        draft = course.get_latest_revision_as_object() if course.has_unpublished_changes else course
        minutes = page.study_minutes if page.required_for_completion else 0
        return course_credit_errors(
            course=course,
            credit_hours=max(course.credit_hours, draft.credit_hours),
            estimated_minutes_total=course_study_minutes(
                course=course, lesson_pk=page.pk, lesson_minutes=minutes
            ),
        )
    return []


# The POST keys of Wagtail's page edit view that send a page towards publication.
PUBLISHING_ACTIONS = (
    "action-submit",
    "action-restart-workflow",
    "action-publish",
    "action-workflow-action",
)


class CreditCheckedPageForm(WagtailAdminPageForm):
    """Checks the credit rules when the page goes towards publication (submitted for review,
    published, or approved from the editor); drafts and previews are saved as they are,
    since a course is written lesson by lesson. "Course review" checks again on approval."""

    def is_publishing(self) -> bool:
        return any(self.data.get(key) for key in PUBLISHING_ACTIONS)


class CoursePageForm(CreditCheckedPageForm):
    """Refuses a credit that breaks the credit rules (``course_credit_errors``)."""

    def clean(self):
        cleaned_data = super().clean()
        credit_hours = cleaned_data.get("credit_hours")
        if credit_hours is not None and self.is_publishing():
            for error in course_credit_errors(
                course=self.instance,
                credit_hours=credit_hours,
                estimated_minutes_total=course_study_minutes(course=self.instance),
            ):
                self.add_error("credit_hours", error)
        return cleaned_data


class LessonPageForm(CreditCheckedPageForm):
    """Refuses a change of study time or required flag that leaves the course's credit
    without the study time it needs."""

    def clean(self):
        cleaned_data = super().clean()
        if not self.is_publishing() or not {"estimated_minutes", "body"} <= cleaned_data.keys():
            return cleaned_data
        if lesson_video(cleaned_data["body"]) is None and not cleaned_data["estimated_minutes"]:
            self.add_error(
                "estimated_minutes",
                _(
                    "A reading lesson needs its estimated time: members complete it by "
                    "spending that time on it."
                ),
            )
            return cleaned_data
        course = (self.instance.get_parent() if self.instance.pk else self.parent_page).specific
        if not isinstance(course, CoursePage):
            return cleaned_data
        minutes = 0
        if cleaned_data.get("required_for_completion"):
            minutes = lesson_study_minutes(
                estimated_minutes=cleaned_data["estimated_minutes"],
                video=lesson_video(cleaned_data["body"]),
            )
        draft = course.get_latest_revision_as_object() if course.has_unpublished_changes else course
        for error in course_credit_errors(
            course=course,
            credit_hours=max(course.credit_hours, draft.credit_hours),
            estimated_minutes_total=course_study_minutes(
                course=course, lesson_pk=self.instance.pk, lesson_minutes=minutes
            ),
        ):
            self.add_error("estimated_minutes", error)
        return cleaned_data


class Topic(models.Model):
    """A subject area of the catalogue (edited as a snippet)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True, allow_unicode=True)

    panels = [FieldPanel("name"), FieldPanel("slug")]

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CourseIndexPage(Page):
    """A section of the catalogue. Trainers are given page permissions on a section."""

    intro = RichTextField(_("introduction"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["courses.CoursePage"]

    class Meta:
        verbose_name = _("course section")
        verbose_name_plural = _("course sections")

    def serve(self, request, *args, **kwargs):
        from .views import catalogue_page

        return catalogue_page(request, index=self)

    def serve_preview(self, request, mode_name):
        return self.serve(request)  # the same view; it skips audience checks in previews


class CoursePageTag(TaggedItemBase):
    content_object = ParentalKey(
        "courses.CoursePage", related_name="tagged_items", on_delete=models.CASCADE
    )


class CoursePage(Page):
    summary = models.TextField(_("summary"), max_length=1000, blank=True)
    cover = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("cover image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    topic = models.ForeignKey(
        Topic,
        verbose_name=_("topic"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="courses",
    )
    tags = ClusterTaggableManager(through=CoursePageTag, blank=True, verbose_name=_("tags"))
    trainers = ParentalManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("trainers"),
        blank=True,
        related_name="courses_taught",
        limit_choices_to={"groups__name": roles.TRAINERS},
    )
    credit_hours = models.DecimalField(
        _("credit hours"),
        max_digits=5,
        decimal_places=1,
        default=Decimal("1.0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Nominal study hours (学时) awarded once the course is completed."),
    )
    estimated_minutes = models.PositiveIntegerField(_("estimated duration (minutes)"), default=0)
    audience_everyone = models.BooleanField(
        _("open to everyone"),
        default=True,
        help_text=_("Untick to open the course only to the units chosen below."),
    )
    audience_units = ParentalManyToManyField(
        "cms.Unit",
        verbose_name=_("audience units"),
        blank=True,
        related_name="+",
        help_text=_("Members of these units and of every unit below them may take the course."),
    )
    enforce_order = models.BooleanField(
        _("lessons in order"),
        default=False,
        help_text=_("A lesson opens only when the required lessons before it are done."),
    )
    allow_download = models.BooleanField(
        _("allow offline download"),
        default=False,
        help_text=_("Members may download the lecture videos as MP4 files."),
    )
    search_terms = models.TextField(_("search terms"), blank=True, editable=False)

    base_form_class = CoursePageForm
    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("cover"),
        MultiFieldPanel(
            [FieldPanel("topic"), FieldPanel("tags"), FieldPanel("trainers")],
            heading=_("Catalogue"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("credit_hours"),
                FieldPanel("estimated_minutes"),
                FieldPanel("enforce_order"),
                FieldPanel("allow_download"),
            ],
            heading=_("Study"),
        ),
        MultiFieldPanel(
            [FieldPanel("audience_everyone"), FieldPanel("audience_units")],
            heading=_("Audience"),
        ),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("search_terms"),
        index.FilterField("audience_everyone"),
        index.FilterField("topic"),
    ]
    parent_page_types = ["courses.CourseIndexPage"]
    # Named, not imported: the quiz lesson page type belongs to exams.quizzes, a layer above.
    subpage_types = ["courses.LessonPage", "quizzes.QuizLessonPage"]

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")

    def save(self, *args, **kwargs):
        self.search_terms = segment_for_search(self.title, self.summary)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"title", "summary"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "search_terms"}
        return super().save(*args, **kwargs)

    def serve(self, request, *args, **kwargs):
        from .views import course_page

        return course_page(request, course=self)

    def serve_preview(self, request, mode_name):
        return self.serve(request)  # the same view; it skips audience checks in previews


class LessonPage(Page):
    class Completion(models.TextChoices):
        WATCH_LOG = "watch_log", _("By viewing or reading time")
        QUIZ = "quiz", _("By passing its quiz")

    body = StreamField(LessonBodyBlock(), verbose_name=_("body"), blank=True)
    required_for_completion = models.BooleanField(
        _("required for completion"),
        default=True,
        help_text=_("The course is complete when every required lesson is done."),
    )
    estimated_minutes = models.PositiveIntegerField(
        _("estimated reading or viewing time (minutes)"), default=0
    )
    # Set by the page type: a quiz lesson (exams.quizzes) completes when its quiz is passed,
    # never by the watch log; every credit path reads it from here.
    completion = models.CharField(
        _("completed by"),
        max_length=10,
        choices=Completion.choices,
        default=Completion.WATCH_LOG,
        editable=False,
    )

    base_form_class = LessonPageForm
    content_panels = [
        *Page.content_panels,
        FieldPanel("body"),
        MultiFieldPanel(
            [FieldPanel("required_for_completion"), FieldPanel("estimated_minutes")],
            heading=_("Study"),
        ),
    ]
    search_fields = [*Page.search_fields, index.SearchField("body")]
    parent_page_types = ["courses.CoursePage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")

    @property
    def lecture_video(self):
        """The first ``LectureVideo`` in the body, or None."""
        return lesson_video(self.body)

    @property
    def study_minutes(self) -> int:
        return lesson_study_minutes(
            estimated_minutes=self.estimated_minutes, video=self.lecture_video
        )

    @property
    def is_reading_lesson(self) -> bool:
        if self.completion != self.Completion.WATCH_LOG:
            return False
        return not any(block["type"] == "lecture_video" for block in self.body.raw_data)

    def serve(self, request, *args, **kwargs):
        from .views import lesson_page

        return lesson_page(request, lesson=self)

    def serve_preview(self, request, mode_name):
        return self.serve(request)  # the same view; it skips audience checks in previews


class CourseAssignment(models.Model):
    """A course made required for every member of a unit subtree, by a manager."""

    course = models.ForeignKey(
        CoursePage, verbose_name=_("course"), on_delete=models.CASCADE, related_name="assignments"
    )
    unit = models.ForeignKey(
        "cms.Unit", verbose_name=_("unit"), on_delete=models.CASCADE, related_name="+"
    )
    due_date = models.DateField(_("due date"))
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("assigned at"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("withdrawn by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("course assignment")
        verbose_name_plural = _("course assignments")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "unit"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="assignment_one_active_per_course_unit",
            )
        ]

    def __str__(self) -> str:
        return f"{self.course} → {self.unit}"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None


class Enrolment(models.Model):
    class Source(models.TextChoices):
        SELF = "self", _("Self-enrolled")
        ASSIGNMENT = "assignment", _("Assigned")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="enrolments",
    )
    course = models.ForeignKey(
        CoursePage, verbose_name=_("course"), on_delete=models.CASCADE, related_name="enrolments"
    )
    source = models.CharField(
        _("source"), max_length=16, choices=Source.choices, default=Source.SELF
    )
    assignment = models.ForeignKey(
        CourseAssignment,
        verbose_name=_("assignment"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="enrolments",
    )
    enrolled_at = models.DateTimeField(_("enrolled at"), auto_now_add=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    awarded_hours = models.DecimalField(
        _("awarded hours"), max_digits=5, decimal_places=1, null=True, blank=True
    )

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="enrolment_once_per_course"),
            models.CheckConstraint(
                condition=models.Q(awarded_hours__isnull=True) | models.Q(awarded_hours__gte=0),
                name="enrolment_awarded_hours_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["user", "completed_at"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.course}"

    @property
    def is_required(self) -> bool:
        return self.source == self.Source.ASSIGNMENT and self.assignment_id is not None


class LessonProgress(models.Model):
    class State(models.TextChoices):
        NOT_STARTED = "not_started", _("Not started")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="lesson_progress",
    )
    lesson = models.ForeignKey(
        LessonPage, verbose_name=_("lesson"), on_delete=models.CASCADE, related_name="progress"
    )
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.NOT_STARTED
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    last_position_seconds = models.FloatField(_("last position (seconds)"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("lesson progress")
        verbose_name_plural = _("lesson progress")
        constraints = [
            models.UniqueConstraint(fields=["user", "lesson"], name="lesson_progress_once"),
            models.CheckConstraint(
                condition=models.Q(last_position_seconds__gte=0),
                name="lesson_position_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.lesson} · {self.state}"


class CourseReviewTask(SecondPersonReviewMixin, AbstractGroupApprovalTask):
    """The step of "Course review": members of the chosen groups approve or request changes.

    A second person's review (``cms.second_person_review``): nobody reviews their own work,
    and an approval publishes as the approver. On top of that the credit rules are checked
    again on approval, and a course goes live with its changed lessons, all or nothing
    (``courses.review``).
    """

    class Meta:
        verbose_name = _("course review task")
        verbose_name_plural = _("course review tasks")

    def authors(self, obj: Page) -> set[int]:
        ids = super().authors(obj)
        if isinstance(obj, CoursePage):
            from .review import course_review_authors

            ids.update(course_review_authors(course=obj))  # its lessons go live with it
            ids.discard(None)
        return ids

    def approval_problems(self, obj: Page) -> list[str]:
        from .review import course_review_errors, lesson_review_errors

        credit_errors = page_credit_errors(page=obj.get_latest_revision_as_object())
        problems = ValidationError(credit_errors).messages if credit_errors else []
        # All or nothing: neither the course nor any of its lessons goes live.
        if isinstance(obj, CoursePage):
            problems += course_review_errors(course=obj)
        elif isinstance(obj, LessonPage):
            problems += lesson_review_errors(lesson=obj)
        return problems

    def before_publish(self, page: Page, user: AbstractBaseUser) -> None:
        if isinstance(page, CoursePage):
            from .review import course_review_publish_lessons

            # Lessons first: the course is never live with draft lessons, not even in between.
            course_review_publish_lessons(course=page, user=user)
