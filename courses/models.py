import logging
from decimal import Decimal

import jieba
from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from taggit.models import TaggedItemBase
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from cms import roles

from .blocks import LessonBodyBlock

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
    subpage_types = ["courses.LessonPage"]

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
    body = StreamField(LessonBodyBlock(), verbose_name=_("body"), blank=True)
    required_for_completion = models.BooleanField(
        _("required for completion"),
        default=True,
        help_text=_("The course is complete when every required lesson is done."),
    )
    estimated_minutes = models.PositiveIntegerField(
        _("estimated reading or viewing time (minutes)"), default=0
    )

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
        for block in self.body:
            if block.block_type == "lecture_video" and block.value.get("video") is not None:
                return block.value["video"]
        return None

    @property
    def is_reading_lesson(self) -> bool:
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
