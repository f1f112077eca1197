"""Admin of the quizzes: the marking queue, marking one answer, regrading a question.

Trainers and superusers only (``services.marking.user_may_mark``); anyone else gets the
admin's permission-denied answer. Views are thin: the services decide and log.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import include, path, reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from .. import richtext
from .. import spec as qspec
from ..models import AttemptQuestion, Question, QuizLessonPage
from ..services.marking import (
    COMMENT_MAX_CHARS,
    FINISHED_STATES,
    essay_mark,
    marking_queue,
    plain_number,
    user_may_mark,
)
from ..services.regrade import question_regrade

QUEUE_PAGE_SIZE = 50


def member_name(user) -> str:
    profile = getattr(user, "profile", None)
    return (profile.full_name if profile else "") or user.get_username()


class TrainerMixin(WagtailAdminTemplateMixin):
    """Trainers and superusers only."""

    header_icon = "tasks"

    def dispatch(self, request, *args, **kwargs):
        if not user_may_mark(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc.args[0]) if getattr(exc, "args", None) else _("Permission denied.")


# --- queue ----------------------------------------------------------------------------


class QueueFilterForm(forms.Form):
    quiz = forms.TypedChoiceField(label=gettext_lazy("Quiz"), required=False, coerce=int)
    marked = forms.BooleanField(label=gettext_lazy("Include marked answers"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["quiz"].choices = [("", _("All quizzes"))] + [
            (quiz.pk, quiz.title) for quiz in QuizLessonPage.objects.order_by("title")
        ]


class MarkingQueueView(TrainerMixin, TemplateView):
    template_name = "quizzes/admin/marking_queue.html"
    page_title = gettext_lazy("Marking")

    def get(self, request, *args, **kwargs):
        form = QueueFilterForm(request.GET or None)
        quiz_id, include_marked = None, False
        if form.is_bound:
            if not form.is_valid():
                return self.render_to_response(
                    self.get_context_data(filter_form=form, page=None), status=400
                )
            quiz_id = form.cleaned_data["quiz"] or None
            include_marked = form.cleaned_data["marked"]
        answers = marking_queue(quiz_id=quiz_id, include_marked=include_marked)
        page = Paginator(answers, QUEUE_PAGE_SIZE).get_page(request.GET.get("p"))
        for answer in page.object_list:
            answer.member_name = member_name(answer.attempt.user)
        query = request.GET.copy()
        query.pop("p", None)
        return self.render_to_response(
            self.get_context_data(filter_form=form, page=page, query=query.urlencode())
        )


# --- mark one answer --------------------------------------------------------------------


class MarkForm(forms.Form):
    score = forms.DecimalField(label=gettext_lazy("Score"), max_digits=9, decimal_places=3)
    comment = forms.CharField(
        label=gettext_lazy("Comment to the member"),
        required=False,
        max_length=COMMENT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class MarkView(TrainerMixin, FormView):
    template_name = "quizzes/admin/marking_mark.html"
    form_class = MarkForm

    def dispatch(self, request, *args, **kwargs):
        if not user_may_mark(request.user):
            raise PermissionDenied
        self.answer = get_object_or_404(
            AttemptQuestion.objects.select_related(
                "attempt__quiz", "attempt__user", "version__question", "graded_by"
            ).filter(
                version__question__qtype__in=sorted(qspec.MANUALLY_GRADED),
                attempt__state__in=FINISHED_STATES,
            ),
            pk=kwargs["pk"],
        )
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return _("Mark an answer")

    def get_page_subtitle(self):
        return self.answer.attempt.quiz.title

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("quizzes_marking:queue"), "label": _("Marking")},
        ]

    def get_initial(self):
        if self.answer.score is None:
            return {}
        return {"score": plain_number(self.answer.score), "comment": self.answer.comment}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        spec = self.answer.version.spec_obj
        response = self.answer.response if isinstance(self.answer.response, dict) else {}
        text = response.get("text")
        context.update(
            answer=self.answer,
            attempt=self.answer.attempt,
            member=member_name(self.answer.attempt.user),
            question_html=mark_safe(richtext.render(spec.text)),  # noqa: S308 - whitelisted
            guidance_html=(
                mark_safe(richtext.render(spec.general_feedback))  # noqa: S308 - whitelisted
                if spec.general_feedback
                else ""
            ),
            answer_text=text if isinstance(text, str) else "",
            own_attempt=self.answer.attempt.user_id == self.request.user.pk,
        )
        return context

    def form_invalid(self, form, status: int = 400):
        return self.render_to_response(self.get_context_data(form=form), status=status)

    def form_valid(self, form):
        try:
            essay_mark(
                marker=self.request.user,
                attempt_question_id=self.answer.pk,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
        except PermissionDenied as exc:
            form.add_error(None, _error_text(exc))
            return self.form_invalid(form, status=403)
        except Http404 as exc:
            form.add_error(None, _error_text(exc))
            return self.form_invalid(form, status=409)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for name, errors in exc.message_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                form.add_error(None, exc.messages)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Marked: question %(position)s of %(member)s's attempt %(number)s.")
            % {
                "position": self.answer.position,
                "member": member_name(self.answer.attempt.user),
                "number": self.answer.attempt.number,
            },
        )
        return redirect(f"{reverse('quizzes_marking:queue')}?quiz={self.answer.attempt.quiz_id}")


# --- regrade --------------------------------------------------------------------------


class RegradeForm(forms.Form):
    question = forms.IntegerField(widget=forms.HiddenInput)
    version = forms.TypedChoiceField(label=gettext_lazy("Onto version"), coerce=int)
    quiz = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, question: Question, **kwargs):
        super().__init__(*args, **kwargs)
        current = question.current_version_id
        self.fields["version"].choices = [
            (
                version.pk,
                _("Version %(number)s (current)") % {"number": version.number}
                if version.pk == current
                else _("Version %(number)s") % {"number": version.number},
            )
            for version in question.versions.order_by("-number")
        ]
        self.fields["version"].initial = current


def _question_from(data) -> Question:
    try:
        question_id = int(data.get("question", ""))
    except (TypeError, ValueError):
        raise Http404(_("No such question.")) from None
    return get_object_or_404(Question, pk=question_id)


class RegradeView(TrainerMixin, TemplateView):
    """GET ``?question=<id>``: choose the version; POST ``action=preview``: a dry run's
    report and a confirm button; POST ``action=confirm``: regrade and log."""

    template_name = "quizzes/admin/marking_regrade.html"
    page_title = gettext_lazy("Regrade a question")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["question"] = self.question
        quiz_id = context["form"]["quiz"].value() if "form" in context else None
        context["back_url"] = self._back_url(quiz_id)
        return context

    def _back_url(self, quiz_id) -> str:
        try:
            quiz = QuizLessonPage.objects.filter(pk=int(quiz_id)).first() if quiz_id else None
        except (TypeError, ValueError):
            quiz = None
        if quiz is None:
            return reverse("quizzes_statistics:index")
        return reverse("quizzes_statistics:quiz", args=[quiz.pk])

    def get(self, request, *args, **kwargs):
        self.question = _question_from(request.GET)
        form = RegradeForm(
            initial={"question": self.question.pk, "quiz": request.GET.get("quiz")},
            question=self.question,
        )
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, *args, **kwargs):
        self.question = _question_from(request.POST)
        form = RegradeForm(request.POST, question=self.question)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        confirm = request.POST.get("action") == "confirm"
        try:
            report = question_regrade(
                question_id=self.question.pk,
                version_id=form.cleaned_data["version"],
                user=request.user,
                dry_run=not confirm,
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        if not confirm:
            return self.render_to_response(self.get_context_data(form=form, report=report))
        messages.success(
            request,
            _("Regraded: %(answers)d answers in %(attempts)d attempts changed.")
            % {"answers": report.answers_changed, "attempts": report.attempts_changed},
        )
        return redirect(self._back_url(form.cleaned_data.get("quiz")))


# --- wiring ---------------------------------------------------------------------------


class TrainerMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        return user_may_mark(request.user)


@hooks.register("register_quizzes_menu_item")
def register_marking_menu_item():
    return TrainerMenuItem(
        gettext_lazy("Marking"), reverse("quizzes_marking:queue"), icon_name="tasks", order=300
    )


urlpatterns = [
    path("", MarkingQueueView.as_view(), name="queue"),
    path("<int:pk>/", MarkView.as_view(), name="mark"),
    path("regrade/", RegradeView.as_view(), name="regrade"),
]


@hooks.register("register_admin_urls")
def register_marking_urls():
    return [path("quizzes/marking/", include((urlpatterns, "quizzes_marking")))]
