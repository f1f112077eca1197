"""Admin of the quizzes: statistics per quiz (Moodle's facility and discrimination
indices per question, the score distribution) and the listing of quizzes.

Trainers and superusers only; managers get the admin's permission-denied answer (reports
for managers are another page). Statistics count graded attempts only (an attempt
waiting for an essay's mark has no total yet). Questions are keyed by the bank question,
not by position, so that shuffled question order and random slots still give one row per
question.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from django.urls import include, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail import hooks

from .. import statistics as stats
from ..models import Attempt, AttemptQuestion, Question, QuizLessonPage
from ..services.marking import user_may_mark
from .marking import RegradeForm, TrainerMenuItem, TrainerMixin

BINS = 10
CHART_WIDTH = 440
CHART_HEIGHT = 220
CHART_LEFT = 36  # room for the count axis
CHART_BOTTOM = 28  # room for the band labels
CHART_TOP = 14

WARNING_LABELS = {
    "too_hard": gettext_lazy("Very hard: facility below 20%"),
    "too_easy": gettext_lazy("Very easy: facility above 95%"),
    "low_discrimination": gettext_lazy("Low discrimination: below 25%"),
}


@dataclass(frozen=True)
class Bar:
    low: Decimal
    high: Decimal
    count: int
    x: int
    y: int
    width: int
    height: int

    @property
    def label_x(self) -> int:
        return self.x + self.width // 2


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: tuple[Bar, ...]
    top_count: int
    baseline: int
    left: int


@dataclass
class QuestionRow:
    question: Question
    stats: stats.QuestionStats
    warnings: list[str] = field(default_factory=list)
    regrade_form: RegradeForm | None = None


@dataclass
class QuizStatistics:
    quiz: QuizLessonPage
    summary: stats.QuizSummary
    bars: list[Bar]
    chart: Chart
    questions: list[QuestionRow]
    waiting: int
    in_progress: int


def distribution_chart(counts: list[int]) -> Chart:
    """Bar geometry for ``counts`` (one per band of 0–100 %), in whole SVG units."""
    bands = stats.score_bands(len(counts))
    top = max(counts, default=0) or 1
    plot_width = CHART_WIDTH - CHART_LEFT - 4
    plot_height = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    step = plot_width // max(len(counts), 1)
    baseline = CHART_TOP + plot_height
    bars = []
    for index, ((low, high), count) in enumerate(zip(bands, counts, strict=True)):
        height = round(plot_height * count / top)
        bars.append(
            Bar(
                low=low,
                high=high,
                count=count,
                x=CHART_LEFT + index * step + 2,
                y=baseline - height,
                width=max(step - 4, 1),
                height=height,
            )
        )
    return Chart(
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        bars=tuple(bars),
        top_count=max(counts, default=0),
        baseline=baseline,
        left=CHART_LEFT,
    )


def quiz_statistics(*, quiz: QuizLessonPage) -> QuizStatistics:
    """The figures of the statistics page for ``quiz``, over its graded attempts."""
    graded = list(
        Attempt.objects.filter(quiz=quiz, state=Attempt.State.GRADED).values_list(
            "pk", "score", "percent"
        )
    )
    slots: dict[int, dict[int, stats.SlotScore]] = defaultdict(dict)
    first_position: dict[int, int] = {}
    for attempt_id, question_id, position, fraction, mark in AttemptQuestion.objects.filter(
        attempt__quiz=quiz, attempt__state=Attempt.State.GRADED
    ).values_list("attempt_id", "version__question_id", "position", "fraction", "mark"):
        slots[attempt_id][question_id] = stats.SlotScore(fraction=fraction, mark=mark)
        first_position[question_id] = min(position, first_position.get(question_id, position))
    rows = [
        stats.AttemptScores(slots=slots.get(pk, {}), total=score) for pk, score, _percent in graded
    ]
    percents = [percent for _pk, _score, percent in graded if percent is not None]
    per_question = stats.question_statistics(rows)
    questions = Question.objects.in_bulk([row.position for row in per_question])
    question_rows = [
        QuestionRow(
            question=questions[row.position],
            stats=row,
            warnings=[str(WARNING_LABELS.get(code, code)) for code in row.warnings],
        )
        for row in per_question
        if row.position in questions
    ]
    question_rows.sort(key=lambda r: (first_position.get(r.question.pk, 0), r.question.name))
    counts = stats.score_distribution(percents, bins=BINS)
    chart = distribution_chart(counts)
    states = Attempt.objects.filter(quiz=quiz).aggregate(
        waiting=Count("pk", filter=Q(state=Attempt.State.NEEDS_GRADING)),
        in_progress=Count("pk", filter=Q(state=Attempt.State.IN_PROGRESS)),
    )
    return QuizStatistics(
        quiz=quiz,
        summary=stats.quiz_summary(percents),
        bars=list(chart.bars),
        chart=chart,
        questions=question_rows,
        waiting=states["waiting"],
        in_progress=states["in_progress"],
    )


def quizzes_with_attempt_counts():
    """Every quiz lesson with how many attempts it has in each state, by title."""
    return QuizLessonPage.objects.annotate(
        graded=Count("attempts", filter=Q(attempts__state=Attempt.State.GRADED)),
        waiting=Count("attempts", filter=Q(attempts__state=Attempt.State.NEEDS_GRADING)),
        in_progress=Count("attempts", filter=Q(attempts__state=Attempt.State.IN_PROGRESS)),
    ).order_by("title", "pk")


class StatisticsIndexView(TrainerMixin, TemplateView):
    template_name = "quizzes/admin/statistics_index.html"
    page_title = gettext_lazy("Quiz statistics")
    header_icon = "table"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["quizzes"] = quizzes_with_attempt_counts()
        return context


class QuizStatisticsView(TrainerMixin, TemplateView):
    template_name = "quizzes/admin/statistics_quiz.html"
    header_icon = "table"

    def dispatch(self, request, *args, **kwargs):
        if not user_may_mark(request.user):
            raise PermissionDenied
        self.quiz = get_object_or_404(QuizLessonPage, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return _("Statistics: %(quiz)s") % {"quiz": self.quiz.title}

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("quizzes_statistics:index"), "label": _("Quiz statistics")},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        figures = quiz_statistics(quiz=self.quiz)
        for row in figures.questions:
            row.regrade_form = RegradeForm(
                initial={"question": row.question.pk, "quiz": self.quiz.pk},
                question=row.question,
                auto_id=f"id_regrade_{row.question.pk}_%s",
            )
        context.update(figures=figures, chart=figures.chart, quiz=self.quiz)
        return context


@hooks.register("register_quizzes_menu_item")
def register_statistics_menu_item():
    return TrainerMenuItem(
        gettext_lazy("Statistics"),
        reverse("quizzes_statistics:index"),
        icon_name="table",
        order=310,
    )


urlpatterns = [
    path("", StatisticsIndexView.as_view(), name="index"),
    path("<int:pk>/", QuizStatisticsView.as_view(), name="quiz"),
]


@hooks.register("register_admin_urls")
def register_statistics_urls():
    return [path("quizzes/statistics/", include((urlpatterns, "quizzes_statistics")))]
