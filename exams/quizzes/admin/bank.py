"""The question bank in the Wagtail admin: the "Quizzes" menu, categories, questions (the
type is chosen first, then a form for that type), and a preview as a member sees it.

Every write goes through ``exams.quizzes.bank``: an edit appends a question version, so
attempts keep what they showed. Trainers hold add/change/delete on categories and
questions (migration 0002); managers and members have no access.
"""

from __future__ import annotations

import random

import django_filters
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, ProtectedError, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.menu import Menu, SubmenuMenuItem
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import Column, TitleColumn, UpdatedAtColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets import Button
from wagtail.log_actions import log

from .. import bank, presentation, richtext
from .. import spec as qspec
from ..forms import (
    FORM_CLASSES,
    PathOrderedChoices,
    QuestionCategoryForm,
    QuestionForm,
    question_form_class,
)
from ..models import Question, QuestionCategory, QuestionVersion
from ..views import question_for_form

QUIZZES_MENU_HOOK = "register_quizzes_menu_item"
QUIZZES_MENU_CONSTRUCT_HOOK = "construct_quizzes_menu"

#: What each type asks of a member, for the "choose a type" page.
TYPE_DESCRIPTIONS = {
    qspec.SINGLE: _("Members pick one option."),
    qspec.MULTI: _("Members pick every option that applies; wrong picks may cost marks."),
    qspec.TRUEFALSE: _("Members say whether a statement is true."),
    qspec.SHORTANSWER: _("Members type a word or phrase, compared with accepted answers."),
    qspec.NUMERICAL: _("Members type a number; an answer within the tolerance counts."),
    qspec.GAPFILL: _("Members fill several gaps in a text; each gap is graded."),
    qspec.MATCHING: _("Members match each prompt with an answer."),
    qspec.ORDERING: _("Members put items in the right order."),
    qspec.ESSAY: _("Members write an answer; a trainer marks it by hand."),
}


# --- the menu ------------------------------------------------------------------------


@hooks.register("register_admin_menu_item")
def register_quizzes_menu():
    """ "Quizzes": the bank's items and those other modules register with
    ``@hooks.register("register_quizzes_menu_item")`` (import, marking, statistics)."""
    return SubmenuMenuItem(
        _("Quizzes"),
        Menu(
            register_hook_name=QUIZZES_MENU_HOOK,
            construct_hook_name=QUIZZES_MENU_CONSTRUCT_HOOK,
        ),
        name="quizzes",
        icon_name="form",
        order=270,
    )


# --- categories ----------------------------------------------------------------------


class CategoryIndexView(generic.IndexView):
    @cached_property
    def columns(self):
        title_column = self._get_title_column_class(TitleColumn)
        return [
            title_column("path", label=_("Category"), accessor="path", get_url=self.get_edit_url),
            Column("questions", label=_("Questions"), accessor="question_count"),
            Column("children", label=_("Subcategories"), accessor="child_count"),
        ]

    def get_base_queryset(self) -> QuerySet[QuestionCategory]:
        return (
            super()
            .get_base_queryset()
            .select_related("parent__parent__parent")
            .annotate(
                question_count=Count("questions", distinct=True),
                child_count=Count("children", distinct=True),
            )
        )


class CategoryDeleteView(generic.DeleteView):
    def form_valid(self, form):
        try:
            bank.category_delete(category=self.object)
        except ProtectedError:
            messages.error(
                self.request,
                gettext(
                    "“%(category)s” still holds questions or subcategories, or a quiz draws "
                    "from it: move or delete them first."
                )
                % {"category": self.object.path},
            )
            return redirect(self.get_success_url())
        messages.success(self.request, self.get_success_message())
        return redirect(self.get_success_url())


class QuestionCategoryViewSet(ModelViewSet):
    model = QuestionCategory
    name = "question_categories"
    icon = "folder-open-inverse"
    menu_label = _("Categories")
    menu_hook = QUIZZES_MENU_HOOK
    menu_order = 200
    index_view_class = CategoryIndexView
    delete_view_class = CategoryDeleteView
    ordering = ["parent_id", "name"]
    search_fields = ["name", "description"]
    search_backend_name = None
    copy_view_enabled = False
    inspect_view_enabled = False
    list_per_page = 100

    def get_form_class(self, for_update: bool = False):
        return QuestionCategoryForm


# --- questions: listing --------------------------------------------------------------


class CategoryFilterField(django_filters.fields.ModelChoiceField):
    iterator = PathOrderedChoices

    def label_from_instance(self, obj: QuestionCategory) -> str:
        return obj.path


class CategoryFilter(django_filters.ModelChoiceFilter):
    field_class = CategoryFilterField


class QuestionFilterSet(WagtailFilterSet):
    category = CategoryFilter(
        label=_("Category (with its subcategories)"),
        queryset=QuestionCategory.objects.select_related("parent"),
        method="filter_category",
    )
    qtype = django_filters.ChoiceFilter(label=_("Type"), choices=Question.Type.choices)
    archived = django_filters.BooleanFilter(label=_("Archived"))

    class Meta:
        model = Question
        fields = ["category", "qtype", "archived"]

    def filter_category(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(category_id__in=bank.category_descendant_ids(category=value))


class QuestionIndexView(generic.IndexView):
    @cached_property
    def columns(self):
        title_column = self._get_title_column_class(TitleColumn)
        return [
            title_column("name", label=_("Question"), get_url=self.get_edit_url, sort_key="name"),
            Column("qtype", label=_("Type"), accessor="get_qtype_display", sort_key="qtype"),
            Column("category", label=_("Category"), accessor="category"),
            Column("version", label=_("Version"), accessor="current_version.number"),
            Column(
                "archived",
                label=_("Archived"),
                accessor=lambda question: gettext("Yes") if question.archived else "",
            ),
            UpdatedAtColumn(),
        ]

    def get_base_queryset(self) -> QuerySet[Question]:
        return (
            super()
            .get_base_queryset()
            .select_related("category__parent__parent", "current_version")
        )

    def get_add_url(self):
        url = super().get_add_url()
        category = self.request.GET.get("category")
        if category and category.isdigit():
            url += "?" + urlencode({"category": category})
        return url

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        buttons.append(
            MenuItem(
                _("Preview"),
                url=reverse("question_bank:preview", args=[instance.pk]),
                icon_name="view",
                priority=15,
            )
        )
        return buttons


# --- questions: create and edit ------------------------------------------------------


class QuestionFormViewMixin:
    """What the create and edit views share: the type's form, saving through the bank's
    services, the bank's validation messages on the form."""

    template_name = "quizzes/admin/bank_question_form.html"

    def get_panel(self):
        return None

    def get_form_class(self) -> type[QuestionForm]:
        return FORM_CLASSES[self.qtype]

    def get_form_kwargs(self):
        kwargs = {"initial": self.get_initial(), "prefix": self.get_prefix()}
        if self.request.method in ("POST", "PUT"):
            kwargs.update(data=self.request.POST, files=self.request.FILES)
        kwargs["instance"] = getattr(self, "object", None) or None
        return kwargs

    def form_valid(self, form):
        self.form = form
        try:
            return super().form_valid(form)
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
            self.produced_error_message = self.get_error_message()
            return self.form_invalid(form)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["qtype"] = self.qtype
        context["qtype_label"] = Question.Type(self.qtype).label
        return context


class QuestionCreateView(QuestionFormViewMixin, generic.CreateView):
    choose_template_name = "quizzes/admin/bank_choose_type.html"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        qtype = request.GET.get("type", "")
        self.qtype = qtype if question_form_class(qtype) is not None else None

    def get(self, request, *args, **kwargs):
        if self.qtype is None:
            return self.choose_type()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if self.qtype is None:
            return self.choose_type(status=400)
        return super().post(request, *args, **kwargs)

    def choose_type(self, *, status: int = 200):
        category = self.request.GET.get("category", "")
        types = []
        for qtype, label in Question.Type.choices:
            params = {"type": qtype}
            if category.isdigit():
                params["category"] = category
            types.append(
                {
                    "qtype": qtype,
                    "label": label,
                    "description": TYPE_DESCRIPTIONS[qtype],
                    "url": reverse(self.add_url_name) + "?" + urlencode(params),
                }
            )
        self.object = None
        context = {
            # the generic CreateView's context would build a form: there is no type yet
            **super(generic.CreateView, self).get_context_data(form=None),
            "types": types,
            "bad_type": status == 400,
            "page_subtitle": gettext("Choose the question type"),
        }
        return TemplateResponse(self.request, self.choose_template_name, context, status=status)

    def get_initial(self):
        initial = super().get_initial()
        category = self.request.GET.get("category", "")
        if category.isdigit():
            initial["category"] = int(category)
        return initial

    def get_add_url(self):
        return reverse(self.add_url_name) + "?" + urlencode({"type": self.qtype})

    def get_page_subtitle(self):
        if self.qtype is None:
            return gettext("New question")
        return gettext("New question: %(type)s") % {"type": Question.Type(self.qtype).label}

    def save_instance(self):
        question = bank.question_create(
            category=self.form.cleaned_data["category"],
            spec=self.form.spec,
            user=self.request.user,
        )
        if self.form.cleaned_data.get("archived"):
            bank.question_update(question=question, spec=self.form.spec, archived=True)
        log(instance=question, action="wagtail.create", user=self.request.user)
        return question


class QuestionEditView(QuestionFormViewMixin, generic.EditView):
    @cached_property
    def qtype(self) -> str:
        return self.object.qtype

    def get_object(self, queryset=None):
        question = super().get_object(queryset)
        if question_form_class(question.qtype) is None or question.current_version is None:
            raise Http404
        return question

    def save_instance(self):
        version = bank.question_update(
            question=self.object,
            spec=self.form.spec,
            category=self.form.cleaned_data["category"],
            user=self.request.user,
            archived=self.form.cleaned_data.get("archived", False),
        )
        question = Question.objects.get(pk=self.object.pk)
        log(
            instance=question,
            action="wagtail.edit",
            user=self.request.user,
            data={"version": version.number},
        )
        return question

    @cached_property
    def header_more_buttons(self):
        buttons = super().header_more_buttons
        buttons.append(
            Button(
                _("Preview"),
                url=reverse("question_bank:preview", args=[self.object.pk]),
                icon_name="view",
                priority=5,
            )
        )
        return buttons

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["versions"] = (
            self.object.versions.select_related("created_by")
            .annotate(attempt_count=Count("attempt_questions"))
            .order_by("-number")
        )
        context["current_version_id"] = self.object.current_version_id
        return context


class QuestionDeleteView(generic.DeleteView):
    def form_valid(self, form):
        try:
            bank.question_delete(question=self.object)
        except ProtectedError:
            messages.error(
                self.request,
                gettext(
                    "“%(question)s” is used by a quiz or was shown in an attempt, so it is "
                    "kept; archive it instead."
                )
                % {"question": self.object},
            )
            return redirect(self.get_success_url())
        log(instance=self.object, action="wagtail.delete", user=self.request.user)
        messages.success(self.request, self.get_success_message())
        return redirect(self.get_success_url())


# --- questions: preview --------------------------------------------------------------


class QuestionPreviewView(
    PermissionCheckedMixin, generic.base.WagtailAdminTemplateMixin, TemplateView
):
    """The question as a member sees it in an attempt (options shuffled, nothing marked
    right); ``?answers=1`` adds the right answer and the grades for the trainer."""

    model = Question
    any_permission_required = ["add", "change", "delete"]
    template_name = "quizzes/admin/bank_preview.html"
    page_title = _("Preview")
    header_icon = "view"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.question = get_object_or_404(
            Question.objects.select_related("current_version", "category"), pk=kwargs["pk"]
        )
        number = request.GET.get("version", "")
        if number.isdigit():
            self.version = get_object_or_404(
                QuestionVersion, question=self.question, number=int(number)
            )
        else:
            self.version = self.question.current_version
        if self.version is None:
            raise Http404

    def get_page_subtitle(self):
        return str(self.question)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("question_bank:index"), "label": gettext("Question bank")},
            {
                "url": reverse("question_bank:edit", args=[self.question.pk]),
                "label": str(self.question),
            },
            {"url": "", "label": gettext("Preview")},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        spec = self.version.spec_obj
        order = presentation.option_order_for(spec, shuffle=True, rng=random.Random())
        show_answers = self.request.GET.get("answers") == "1"
        context.update(
            question=self.question,
            version=self.version,
            member_form_question=question_for_form(
                presentation.question_for_member(
                    spec=spec, position=1, option_order=order, response=None
                ),
                0,
            ),
            show_answers=show_answers,
            answers=preview_answers(spec) if show_answers else None,
            mark=spec.default_mark,
            preview_url=reverse("question_bank:preview", args=[self.question.pk]),
            version_query=f"version={self.version.number}&" if self.version.number else "",
        )
        return context


def preview_answers(spec: qspec.QuestionSpec) -> dict:
    """What the trainer's "show answers" toggle lists: each part with its grade."""

    def feedback(value: str) -> str:
        return richtext.render(richtext.clean_html(value))

    rows: list[dict] = []
    for choice in spec.choices:
        rows.append(
            {
                "text": richtext.render(choice.text),
                "grade": choice.fraction * 100,
                "feedback": feedback(choice.feedback),
            }
        )
    for answer in spec.text_answers:
        rows.append(
            {
                "gap": answer.gap or None,
                "plain": answer.text,
                "grade": answer.fraction * 100,
                "feedback": feedback(answer.feedback),
            }
        )
    for answer in spec.numeric_answers:
        rows.append(
            {
                "plain": f"{answer.value} ± {answer.tolerance}",
                "grade": answer.fraction * 100,
                "feedback": feedback(answer.feedback),
            }
        )
    for pair in spec.pairs:
        rows.append(
            {"text": richtext.render(pair.prompt) if pair.prompt else "", "plain": pair.answer}
        )
    for number, item in enumerate(spec.items, start=1):
        rows.append({"text": richtext.render(item.text), "grade": None, "position": number})
    return {
        "rows": rows,
        "general_feedback": richtext.render(spec.general_feedback),
        "case_sensitive": spec.case_sensitive,
    }


class QuestionViewSet(ModelViewSet):
    model = Question
    name = "question_bank"
    icon = "form"
    menu_label = _("Question bank")
    menu_hook = QUIZZES_MENU_HOOK
    menu_order = 100
    index_view_class = QuestionIndexView
    add_view_class = QuestionCreateView
    edit_view_class = QuestionEditView
    delete_view_class = QuestionDeleteView
    filterset_class = QuestionFilterSet
    ordering = ["name", "pk"]
    search_fields = ["name", "search_text"]
    search_backend_name = None
    copy_view_enabled = False
    inspect_view_enabled = False
    list_per_page = 50

    def get_form_class(self, for_update: bool = False):
        return QuestionForm

    @property
    def preview_view(self):
        return self.construct_view(QuestionPreviewView)

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("preview/<int:pk>/", self.preview_view, name="preview"),
        ]


@hooks.register("register_admin_viewset")
def register_question_bank_viewsets():
    return [QuestionViewSet(), QuestionCategoryViewSet()]
