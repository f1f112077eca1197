"""The question bank (categories, questions and their immutable versions), quiz lessons,
and attempts.

A question's content is its current ``QuestionVersion``: editing a question appends a
version, and an attempt keeps the version each of its questions was shown in, so that
editing never changes an attempt already taken. A quiz is a lesson of a course
(``QuizLessonPage`` is a ``LessonPage``): it takes its place in the course's lesson order,
progress, audience and review like any lesson, and completes when the member passes.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.models import Orderable
from wagtail.search import index

from courses.models import LessonPage

from . import spec as qspec

# --- question bank -----------------------------------------------------------------


class QuestionCategory(models.Model):
    """A folder of the question bank; categories nest."""

    name = models.CharField(_("name"), max_length=200)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent category"),
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("question category")
        verbose_name_plural = _("question categories")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="question_category_name_once_per_parent"
            ),
            models.UniqueConstraint(
                fields=["name"],
                condition=models.Q(parent__isnull=True),
                name="question_category_top_name_once",
            ),
        ]

    def __str__(self) -> str:
        return self.path

    @property
    def path(self) -> str:
        """ "Top / Safety / Fire" — the names from the top category down."""
        names, node, seen = [], self, set()
        while node is not None and node.pk not in seen:
            seen.add(node.pk)
            names.append(node.name)
            node = node.parent
        return " / ".join(reversed(names))

    def clean(self) -> None:
        node, seen = self.parent, set()
        while node is not None:
            if node.pk == self.pk and self.pk is not None:
                raise ValidationError({"parent": _("A category cannot be inside itself.")})
            if node.pk in seen:
                break
            seen.add(node.pk)
            node = node.parent


class Question(index.Indexed, models.Model):
    """A question of the bank. Its content (text, answers, feedback, mark) is
    ``current_version``; write it only through ``exams.quizzes.bank``."""

    class Type(models.TextChoices):
        SINGLE = qspec.SINGLE, _("Single choice")
        MULTI = qspec.MULTI, _("Multiple response")
        TRUEFALSE = qspec.TRUEFALSE, _("True/false")
        SHORTANSWER = qspec.SHORTANSWER, _("Short answer")
        NUMERICAL = qspec.NUMERICAL, _("Numerical")
        GAPFILL = qspec.GAPFILL, _("Fill in the blanks")
        MATCHING = qspec.MATCHING, _("Matching")
        ORDERING = qspec.ORDERING, pgettext_lazy("question type", "Ordering")
        ESSAY = qspec.ESSAY, _("Essay")

    category = models.ForeignKey(
        QuestionCategory,
        on_delete=models.PROTECT,
        related_name="questions",
        verbose_name=_("category"),
    )
    qtype = models.CharField(_("type"), max_length=16, choices=Type.choices)
    name = models.CharField(_("name"), max_length=255)
    search_text = models.TextField(_("search text"), blank=True, editable=False)
    current_version = models.ForeignKey(
        "QuestionVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("current version"),
    )
    archived = models.BooleanField(
        _("archived"),
        default=False,
        help_text=_("Archived questions are kept for past attempts but not drawn again."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    search_fields = [
        index.SearchField("name"),
        index.SearchField("search_text"),
        index.FilterField("category_id"),
        index.FilterField("qtype"),
        index.FilterField("archived"),
    ]

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["category_id", "name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def spec(self) -> qspec.QuestionSpec | None:
        if self.current_version is None:
            return None
        return self.current_version.spec_obj


class QuestionVersion(models.Model):
    """An immutable snapshot of a question's content; attempts point at it."""

    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="versions", verbose_name=_("question")
    )
    number = models.PositiveIntegerField(_("version"))
    spec = models.JSONField(_("content"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("question version")
        verbose_name_plural = _("question versions")
        constraints = [
            models.UniqueConstraint(fields=["question", "number"], name="question_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.question_id} v{self.number}"

    @property
    def spec_obj(self) -> qspec.QuestionSpec:
        cached = getattr(self, "_spec_obj", None)
        if cached is None:
            cached = self._spec_obj = qspec.spec_from_dict(self.spec)
        return cached


# --- quiz lessons --------------------------------------------------------------------


class GradingMethod(models.TextChoices):
    HIGHEST = "highest", _("Highest grade")
    AVERAGE = "average", _("Average grade")
    FIRST = "first", _("First attempt")
    LAST = "last", _("Last attempt")


class ReviewWhen(models.TextChoices):
    IMMEDIATELY = "immediately", _("Immediately after the attempt")
    AFTER_CLOSE = "after_close", _("After the quiz closes")
    NEVER = "never", pgettext_lazy("review option", "Never")


class Navigation(models.TextChoices):
    FREE = "free", _("Free: any page in any order")
    SEQUENTIAL = "sequential", _("Sequential: no going back")


class QuizLessonPage(LessonPage):
    """A lesson that is a quiz: it completes when the member's grade reaches the pass
    mark. Its settings go through course review like every lesson's."""

    time_limit_minutes = models.PositiveIntegerField(
        _("time limit (minutes)"),
        default=0,
        validators=[MaxValueValidator(24 * 60)],
        help_text=_("0: no time limit."),
    )
    opens_at = models.DateTimeField(_("opens"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes"), null=True, blank=True)
    attempts_allowed = models.PositiveSmallIntegerField(
        _("attempts allowed"), default=0, help_text=_("0: unlimited.")
    )
    grading_method = models.CharField(
        _("grading method"),
        max_length=10,
        choices=GradingMethod.choices,
        default=GradingMethod.HIGHEST,
    )
    pass_percent = models.DecimalField(
        _("pass mark (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("60"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    credit_hours = models.DecimalField(
        _("study hours for passing"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0)],
        help_text=_("Credited once, on the first pass, when the study-hour rules credit quizzes."),
    )
    shuffle_questions = models.BooleanField(_("shuffle questions"), default=False)
    shuffle_options = models.BooleanField(_("shuffle options"), default=True)
    questions_per_page = models.PositiveSmallIntegerField(
        _("questions per page"), default=0, help_text=_("0: all questions on one page.")
    )
    navigation = models.CharField(
        _("navigation"), max_length=10, choices=Navigation.choices, default=Navigation.FREE
    )
    review_score = models.CharField(
        _("show the score"),
        max_length=12,
        choices=ReviewWhen.choices,
        default=ReviewWhen.IMMEDIATELY,
    )
    review_answers = models.CharField(
        _("show the right answers"),
        max_length=12,
        choices=ReviewWhen.choices,
        default=ReviewWhen.AFTER_CLOSE,
    )
    review_feedback = models.CharField(
        _("show feedback"),
        max_length=12,
        choices=ReviewWhen.choices,
        default=ReviewWhen.IMMEDIATELY,
    )

    content_panels = [
        *LessonPage.content_panels,
        InlinePanel("slots", heading=_("Questions"), label=_("question"), min_num=1),
    ]
    settings_panels = [
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("opens_at"), FieldPanel("closes_at")]),
                FieldPanel("time_limit_minutes"),
                FieldRowPanel([FieldPanel("attempts_allowed"), FieldPanel("grading_method")]),
                FieldRowPanel([FieldPanel("pass_percent"), FieldPanel("credit_hours")]),
            ],
            heading=_("Timing and grading"),
        ),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("shuffle_questions"), FieldPanel("shuffle_options")]),
                FieldRowPanel([FieldPanel("questions_per_page"), FieldPanel("navigation")]),
            ],
            heading=pgettext_lazy("quiz settings", "Layout"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("review_score"),
                FieldPanel("review_answers"),
                FieldPanel("review_feedback"),
            ],
            heading=_("Review"),
        ),
        *LessonPage.settings_panels,
    ]
    parent_page_types = ["courses.CoursePage"]
    subpage_types: list[str] = []
    template = "quizzes/quiz_lesson_page.html"

    class Meta:
        verbose_name = _("quiz lesson")
        verbose_name_plural = _("quiz lessons")

    def save(self, *args, **kwargs):
        self.completion = LessonPage.Completion.QUIZ
        return super().save(*args, **kwargs)

    def serve(self, request, *args, **kwargs):
        from .views import quiz_lesson_page

        return quiz_lesson_page(request, quiz=self)

    def serve_preview(self, request, mode_name):
        return self.serve(request)


class QuizSlot(Orderable):
    """A fixed question, or N questions drawn at random from a category."""

    quiz = ParentalKey(QuizLessonPage, on_delete=models.CASCADE, related_name="slots")
    question = models.ForeignKey(
        Question,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("question"),
    )
    category = models.ForeignKey(
        QuestionCategory,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("random from category"),
    )
    include_subcategories = models.BooleanField(_("include subcategories"), default=True)
    count = models.PositiveSmallIntegerField(
        _("how many at random"), default=1, validators=[MinValueValidator(1)]
    )
    mark = models.DecimalField(
        _("mark"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("Blank: the question's default mark."),
    )

    panels = [
        FieldPanel("question"),
        FieldRowPanel([FieldPanel("category"), FieldPanel("count")]),
        FieldRowPanel([FieldPanel("include_subcategories"), FieldPanel("mark")]),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("quiz question")
        verbose_name_plural = _("quiz questions")

    def clean(self) -> None:
        if (self.question_id is None) == (self.category_id is None):
            raise ValidationError(_("Choose either one question or a category to draw from."))


# --- attempts ---------------------------------------------------------------------------


class Attempt(models.Model):
    """One sitting of a quiz by a member. The deadline is the server's, fixed at start."""

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")
        NEEDS_GRADING = "needs_grading", _("Waiting for marking")
        GRADED = "graded", _("Graded")

    class Closed(models.TextChoices):
        MEMBER = "member", _("Submitted by the member")
        TIMEOUT = "timeout", _("Time ran out")
        CLOSED = "closed", _("The quiz closed")

    quiz = models.ForeignKey(
        QuizLessonPage, on_delete=models.CASCADE, related_name="attempts", verbose_name=_("quiz")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="quiz_attempts",
        verbose_name=_("member"),
    )
    number = models.PositiveSmallIntegerField(_("attempt"))
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.IN_PROGRESS
    )
    started_at = models.DateTimeField(_("started at"))
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    closed_by = models.CharField(_("closed by"), max_length=8, choices=Closed.choices, blank=True)
    current_page = models.PositiveSmallIntegerField(_("current page"), default=0)
    max_score = models.DecimalField(_("maximum score"), max_digits=8, decimal_places=2)
    score = models.DecimalField(_("score"), max_digits=9, decimal_places=3, null=True, blank=True)
    percent = models.DecimalField(
        _("grade (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    passed = models.BooleanField(_("passed"), null=True, blank=True)

    class Meta:
        verbose_name = _("quiz attempt")
        verbose_name_plural = _("quiz attempts")
        ordering = ["quiz_id", "user_id", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["quiz", "user", "number"], name="quiz_attempt_number_once"
            ),
            models.UniqueConstraint(
                fields=["quiz", "user"],
                condition=models.Q(state="in_progress"),
                name="quiz_attempt_one_in_progress",
            ),
            models.CheckConstraint(
                condition=models.Q(percent__isnull=True)
                | models.Q(percent__gte=0, percent__lte=100),
                name="quiz_attempt_percent_range",
            ),
        ]
        indexes = [models.Index(fields=["state", "deadline"], name="quiz_attempt_due")]

    def __str__(self) -> str:
        return f"{self.quiz_id} · {self.user_id} · #{self.number}"


class AttemptQuestion(models.Model):
    """A question as shown in an attempt: its version, its options' order, the member's
    latest response and, once graded, its score."""

    attempt = models.ForeignKey(
        Attempt, on_delete=models.CASCADE, related_name="questions", verbose_name=_("attempt")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    page = models.PositiveSmallIntegerField(pgettext_lazy("quiz page", "page"), default=0)
    version = models.ForeignKey(
        QuestionVersion,
        on_delete=models.PROTECT,
        related_name="attempt_questions",
        verbose_name=_("question version"),
    )
    mark = models.DecimalField(_("mark"), max_digits=6, decimal_places=2)
    option_order = models.JSONField(_("option order"), default=list)
    response = models.JSONField(_("response"), null=True, blank=True)
    response_seq = models.PositiveIntegerField(_("response sequence"), default=0)
    saved_at = models.DateTimeField(_("saved at"), null=True, blank=True)
    fraction = models.DecimalField(
        _("fraction"), max_digits=8, decimal_places=7, null=True, blank=True
    )
    score = models.DecimalField(_("score"), max_digits=9, decimal_places=3, null=True, blank=True)
    comment = models.TextField(_("marker's comment"), blank=True)
    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("marked by"),
    )
    graded_at = models.DateTimeField(_("marked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("attempt question")
        verbose_name_plural = _("attempt questions")
        ordering = ["attempt_id", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "position"], name="attempt_question_position_once"
            ),
            models.CheckConstraint(
                condition=models.Q(fraction__isnull=True)
                | models.Q(fraction__gte=0, fraction__lte=1),
                name="attempt_question_fraction_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.attempt_id} · {self.position}"


class QuizResult(models.Model):
    """A member's grade in a quiz by its grading method, over their finished attempts."""

    quiz = models.ForeignKey(
        QuizLessonPage, on_delete=models.CASCADE, related_name="results", verbose_name=_("quiz")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="quiz_results",
        verbose_name=_("member"),
    )
    percent = models.DecimalField(_("grade (%)"), max_digits=5, decimal_places=2)
    passed = models.BooleanField(_("passed"), default=False)
    first_passed_at = models.DateTimeField(_("first passed at"), null=True, blank=True)
    awarded_hours = models.DecimalField(
        _("awarded study hours"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        help_text=_("The quiz's study hours when first passed; what the ledger credits."),
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("quiz result")
        verbose_name_plural = _("quiz results")
        constraints = [
            models.UniqueConstraint(fields=["quiz", "user"], name="quiz_result_once"),
        ]

    def __str__(self) -> str:
        return f"{self.quiz_id} · {self.user_id} · {self.percent}"
