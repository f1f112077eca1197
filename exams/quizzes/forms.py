"""The question bank's admin forms: one form per question type, each turning what the
trainer typed into a ``QuestionSpec`` (``to_spec``) that ``bank.question_create`` /
``question_update`` store.

Question text and general feedback are Wagtail rich text (Draftail, ``richtext.FEATURES``).
Option, prompt and item texts and per-answer feedback are short inline texts: typed as
plain text they are stored escaped; typed as HTML they go through the same whitelist as
question text. Accepted answers (short answer, gaps) and matching answers are plain
strings, compared with what a member types or picks.

Editing keeps every existing row's key (choices, pairs, items), so that responses stored
against an older version still name the same option; a new row gets a key that no row of
the question has used.
"""

from __future__ import annotations

import html
import json
import re
from decimal import Decimal
from typing import Any, ClassVar

from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import escape
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.forms.formsets import BaseFormSetMixin
from wagtail.admin.rich_text.editors.draftail import DraftailRichTextArea

from . import richtext
from . import spec as qspec
from .bank import category_descendant_ids
from .models import Question, QuestionCategory
from .validation import spec_errors

HUNDRED = Decimal(100)
_TAG = re.compile(r"<[a-zA-Z/][^>]*>")


# --- text conversions ----------------------------------------------------------------


def inline_html(text: str) -> str:
    """What a trainer typed in a one-line field, as whitelisted inline HTML."""
    text = (text or "").strip()
    if not text:
        return ""
    if _TAG.search(text):
        return richtext.clean_html(text)
    return escape(text)


def inline_text(value: str) -> str:
    """The inverse of ``inline_html`` for the edit form: plain text when the stored value
    holds no markup, else the HTML itself (so that no formatting is lost)."""
    value = value or ""
    if _TAG.search(value):
        return value
    return html.unescape(value)


def tidy(value: Decimal) -> Decimal:
    """``value`` without trailing zeros and never in exponent notation (100, not 1E+2)."""
    return Decimal(format(value.normalize(), "f"))


def percent(fraction: Decimal) -> Decimal:
    return tidy(fraction * HUNDRED)


def fraction_of(value: Decimal | None) -> Decimal:
    if value is None:
        return Decimal(0)
    return tidy((value / HUNDRED).quantize(Decimal("0.0000001")))


def next_key(used: set[str], *, alphabet: str = "abcdefghijklmnopqrstuvwxyz") -> str:
    """The first key of ``alphabet`` (then ``k27``, ``k28``…) that is not in ``used``."""
    for letter in alphabet:
        if letter not in used:
            used.add(letter)
            return letter
    n = len(alphabet) + 1
    while f"k{n}" in used:
        n += 1
    used.add(f"k{n}")
    return f"k{n}"


# --- fields and widgets --------------------------------------------------------------


class QuestionRichTextArea(DraftailRichTextArea):
    """Draftail, tolerant of what it is sent: the editor's content state, or HTML (a
    script, a test, a browser without JavaScript); both go through the whitelist."""

    def value_from_datadict(self, data, files, name):
        raw = data.get(name)
        if raw is None:
            return None
        try:
            state = json.loads(raw)
        except ValueError:
            return raw
        if not isinstance(state, dict) or "blocks" not in state:
            return raw
        try:
            return self.converter.to_database_format(raw)
        except (KeyError, TypeError, ValueError, AttributeError):
            return ""


class RichTextField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("widget", QuestionRichTextArea(features=richtext.FEATURES))
        kwargs.setdefault("strip", False)
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        return richtext.clean_html(value or "")


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: QuestionCategory) -> str:
        return obj.path


def categories_by_path(queryset=None) -> list[QuestionCategory]:
    categories = list(queryset if queryset is not None else QuestionCategory.objects.all())
    return sorted(categories, key=lambda category: category.path.casefold())


class PathOrderedChoices(forms.models.ModelChoiceIterator):
    """The categories sorted by their path (read when the field is rendered)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for category in categories_by_path(self.queryset):
            yield self.choice(category)


class PathOrderedCategoryField(CategoryChoiceField):
    """Offers the categories sorted by their path, so the tree reads as a tree."""

    iterator = PathOrderedChoices

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", QuestionCategory.objects.select_related("parent"))
        super().__init__(**kwargs)


def _percent_field(*, allow_negative: bool) -> forms.DecimalField:
    return forms.DecimalField(
        label=_("Grade (%)"),
        min_value=Decimal(-100) if allow_negative else Decimal(0),
        max_value=HUNDRED,
        max_digits=10,
        decimal_places=5,
        initial=Decimal(0),
        required=False,
        widget=forms.NumberInput(attrs={"step": "any", "class": "quiz-grade"}),
    )


def _feedback_field() -> forms.CharField:
    return forms.CharField(label=_("Feedback"), required=False, max_length=2000)


# --- row forms -----------------------------------------------------------------------


class ChoiceRowForm(forms.Form):
    key = forms.CharField(required=False, widget=forms.HiddenInput, max_length=40)
    text = forms.CharField(label=_("Option"), max_length=2000)
    fraction = _percent_field(allow_negative=False)
    feedback = _feedback_field()


class MultiChoiceRowForm(ChoiceRowForm):
    fraction = _percent_field(allow_negative=True)


class TextAnswerRowForm(forms.Form):
    text = forms.CharField(
        label=_("Accepted answer"),
        max_length=500,
        help_text=_("* stands for any run of characters."),
    )
    fraction = _percent_field(allow_negative=False)
    feedback = _feedback_field()


class GapAnswerRowForm(TextAnswerRowForm):
    gap = forms.IntegerField(label=_("Gap"), min_value=1, max_value=99)

    field_order = ["gap", "text", "fraction", "feedback"]


class NumericAnswerRowForm(forms.Form):
    value = forms.DecimalField(label=_("Answer"), max_digits=20, decimal_places=10)
    tolerance = forms.DecimalField(
        label=_("± Tolerance"),
        min_value=Decimal(0),
        max_digits=20,
        decimal_places=10,
        required=False,
        initial=Decimal(0),
        widget=forms.NumberInput(attrs={"step": "any"}),
    )
    fraction = _percent_field(allow_negative=False)
    feedback = _feedback_field()


class PairRowForm(forms.Form):
    key = forms.CharField(required=False, widget=forms.HiddenInput, max_length=40)
    prompt = forms.CharField(
        label=_("Prompt"),
        max_length=2000,
        required=False,
        help_text=_("Leave empty for an extra answer that matches no prompt."),
    )
    answer = forms.CharField(label=_("Matching answer"), max_length=500)


class ItemRowForm(forms.Form):
    key = forms.CharField(required=False, widget=forms.HiddenInput, max_length=40)
    text = forms.CharField(label=_("Item"), max_length=2000)


class PartsFormSet(BaseFormSetMixin, forms.BaseFormSet):
    """A question's rows (options, answers, pairs, items); rows are added and removed in
    the browser by Wagtail's ``w-formset`` controller."""


def parts_formset_class(form, *, can_order: bool = False, extra: int = 2):
    return forms.formset_factory(
        form,
        formset=PartsFormSet,
        extra=extra,
        can_delete=True,
        can_order=can_order,
        max_num=100,
        absolute_max=100,
        validate_max=True,
    )


# --- question forms ------------------------------------------------------------------


class QuestionForm(forms.Form):
    """The fields every type has; subclasses add the type's parts (``parts``, a formset)
    and build the spec. ``instance`` is the question edited (unsaved on create)."""

    qtype: ClassVar[str] = ""
    row_form: ClassVar[type[forms.Form] | None] = None
    can_order: ClassVar[bool] = False
    parts_label: ClassVar[Any] = ""
    parts_help: ClassVar[Any] = ""
    text_help: ClassVar[Any] = ""
    min_rows: ClassVar[int] = 2

    category = PathOrderedCategoryField(label=_("Category"))
    name = forms.CharField(
        label=_("Name"),
        max_length=255,
        required=False,
        help_text=_("A short title for lists; empty: the start of the question text."),
    )
    text = RichTextField(label=_("Question text"))
    default_mark = forms.DecimalField(
        label=_("Default mark"),
        min_value=Decimal("0.01"),
        max_value=Decimal(1000),
        max_digits=7,
        decimal_places=2,
        initial=Decimal(1),
    )
    general_feedback = RichTextField(
        label=_("General feedback"),
        required=False,
        help_text=_("Shown to every member after the attempt, whatever they answered."),
    )
    archived = forms.BooleanField(
        label=_("Archived"),
        required=False,
        help_text=_("Archived questions are kept for past attempts but not drawn again."),
    )

    def __init__(
        self,
        data=None,
        files=None,
        *,
        instance: Question | None = None,
        initial: dict | None = None,
        prefix: str | None = None,
        **kwargs,
    ):
        self.instance = instance if instance is not None else Question(qtype=self.qtype)
        self.current = self.instance.spec if self.instance.pk else None
        initial = {**self._initial(), **(initial or {})}
        super().__init__(data, files, initial=initial, prefix=prefix, **kwargs)
        self.fields["archived"] = self.fields.pop("archived")  # last, after the type's fields
        if self.text_help:
            self.fields["text"].help_text = self.text_help
        self.parts = None
        if self.row_form is not None:
            rows = self._rows() if self.current is not None else []
            formset_class = parts_formset_class(
                self.row_form,
                can_order=self.can_order,
                extra=max(self.min_rows - len(rows), 0) + (1 if rows else 0),
            )
            self.parts = formset_class(data, files, initial=rows or None, prefix="parts")

    # -- what the form starts with

    def _initial(self) -> dict[str, Any]:
        spec = self.current
        if spec is None:
            return {}
        return {
            "category": self.instance.category_id,
            "name": self.instance.name if spec.name else "",
            "text": spec.text,
            "default_mark": spec.default_mark,
            "general_feedback": spec.general_feedback,
            "archived": self.instance.archived,
        }

    def _rows(self) -> list[dict[str, Any]]:
        return []

    # -- validation

    @property
    def media(self):
        media = super().media
        if self.parts is not None:
            media += self.parts.media
        return media

    def live_rows(self) -> list[dict[str, Any]]:
        """The parts' rows the trainer filled in and did not delete, in order."""
        if self.parts is None:
            return []
        forms_ = self.parts.ordered_forms if self.parts.can_order else self.parts.forms
        rows = []
        for form in forms_:
            if not form.has_changed() and not form.initial:
                continue
            if self.parts.can_delete and self.parts._should_delete_form(form):
                continue
            if not hasattr(form, "cleaned_data"):
                continue
            rows.append(form.cleaned_data)
        return rows

    def is_valid(self) -> bool:
        valid = super().is_valid()
        if self.parts is not None:
            valid = self.parts.is_valid() and valid
        if not valid:
            return False
        try:
            spec = self.to_spec()
        except (ValidationError, ValueError, ArithmeticError) as error:
            messages = getattr(error, "messages", None) or [gettext("The question is invalid.")]
            for message in messages:
                self.add_error(None, message)
            return False
        for message in spec_errors(spec):
            self.add_error(None, message)
        if self.errors:
            return False
        self.spec = spec
        return True

    # -- the spec

    def _common(self) -> dict[str, Any]:
        data = self.cleaned_data
        kept: dict[str, Any] = {}
        if self.current is not None:
            kept = {
                "correct_feedback": self.current.correct_feedback,
                "incorrect_feedback": self.current.incorrect_feedback,
                "extra": dict(self.current.extra),
            }
        return {
            "qtype": self.qtype,
            "text": data["text"],
            "name": data["name"].strip(),
            "general_feedback": data["general_feedback"],
            "default_mark": data["default_mark"],
            **kept,
        }

    def _parts(self) -> dict[str, Any]:
        return {}

    def to_spec(self) -> qspec.QuestionSpec:
        return qspec.QuestionSpec(**self._common(), **self._parts())

    def _used_keys(self, rows_of_spec) -> set[str]:
        return {row.key for row in rows_of_spec} if self.current is not None else set()


class ChoiceQuestionForm(QuestionForm):
    parts_label = _("Options")
    min_rows = 4

    def _rows(self):
        return [
            {
                "key": choice.key,
                "text": inline_text(choice.text),
                "fraction": percent(choice.fraction),
                "feedback": inline_text(choice.feedback),
            }
            for choice in self.current.choices
        ]

    def _parts(self):
        used = self._used_keys(self.current.choices if self.current else ())
        rows = self.live_rows()
        used |= {row["key"] for row in rows if row["key"]}
        choices = []
        for row in rows:
            choices.append(
                qspec.Choice(
                    key=row["key"] or next_key(used),
                    text=inline_html(row["text"]),
                    fraction=fraction_of(row["fraction"]),
                    feedback=inline_html(row["feedback"]),
                )
            )
        return {"choices": tuple(choices)}


class SingleChoiceForm(ChoiceQuestionForm):
    qtype = qspec.SINGLE
    row_form = ChoiceRowForm
    parts_help = _("One option gives 100%; others may give part of the mark.")


class MultiChoiceForm(ChoiceQuestionForm):
    qtype = qspec.MULTI
    row_form = MultiChoiceRowForm
    parts_help = _(
        "The right options' grades add up to 100%; a wrong option may take marks away "
        "(a negative grade). The question's score is never below 0."
    )


class TrueFalseForm(QuestionForm):
    qtype = qspec.TRUEFALSE

    correct = forms.TypedChoiceField(
        label=_("The statement is"),
        choices=[("true", _("True")), ("false", _("False"))],
        widget=forms.RadioSelect,
    )
    feedback_true = forms.CharField(
        label=_("Feedback for the answer “true”"), required=False, max_length=2000
    )
    feedback_false = forms.CharField(
        label=_("Feedback for the answer “false”"), required=False, max_length=2000
    )

    def _initial(self):
        initial = super()._initial()
        if self.current is not None:
            by_key = {choice.key: choice for choice in self.current.choices}
            best = max(self.current.choices, key=lambda c: c.fraction, default=None)
            initial["correct"] = best.key if best else "true"
            initial["feedback_true"] = inline_text(getattr(by_key.get("true"), "feedback", ""))
            initial["feedback_false"] = inline_text(getattr(by_key.get("false"), "feedback", ""))
        return initial

    def _parts(self):
        data = self.cleaned_data
        texts = {"true": gettext("True"), "false": gettext("False")}
        if self.current is not None:
            texts.update({c.key: c.text for c in self.current.choices if c.text})
        return {
            "choices": tuple(
                qspec.Choice(
                    key=key,
                    text=texts[key],
                    fraction=Decimal(1) if data["correct"] == key else Decimal(0),
                    feedback=inline_html(data[f"feedback_{key}"]),
                )
                for key in ("true", "false")
            )
        }


class ShortAnswerForm(QuestionForm):
    qtype = qspec.SHORTANSWER
    row_form = TextAnswerRowForm
    parts_label = _("Accepted answers")
    parts_help = _(
        "One answer gives 100%; others may give part of the mark. "
        "* stands for any run of characters."
    )
    min_rows = 3

    case_sensitive = forms.BooleanField(label=_("Case matters"), required=False)

    def _initial(self):
        initial = super()._initial()
        if self.current is not None:
            initial["case_sensitive"] = self.current.case_sensitive
        return initial

    def _rows(self):
        return [
            {
                "text": answer.text,
                "fraction": percent(answer.fraction),
                "feedback": inline_text(answer.feedback),
            }
            for answer in self.current.text_answers
        ]

    def _parts(self):
        return {
            "case_sensitive": self.cleaned_data["case_sensitive"],
            "text_answers": tuple(
                qspec.TextAnswer(
                    text=row["text"].strip(),
                    fraction=fraction_of(row["fraction"]),
                    feedback=inline_html(row["feedback"]),
                )
                for row in self.live_rows()
            ),
        }


class GapFillForm(ShortAnswerForm):
    qtype = qspec.GAPFILL
    row_form = GapAnswerRowForm
    parts_help = _(
        "Give each gap at least one answer worth 100%; a gap may have several accepted "
        "answers. * stands for any run of characters."
    )
    text_help = _(
        "Mark each gap where it belongs as [[1]], [[2]], [[3]]… — for example "
        "“Water boils at [[1]] °C at sea level.” Members type into each gap; every gap is "
        "graded on its own."
    )
    min_rows = 3

    def _rows(self):
        return [
            {**row, "gap": answer.gap}
            for row, answer in zip(super()._rows(), self.current.text_answers, strict=True)
        ]

    def _parts(self):
        return {
            "case_sensitive": self.cleaned_data["case_sensitive"],
            "text_answers": tuple(
                qspec.TextAnswer(
                    text=row["text"].strip(),
                    fraction=fraction_of(row["fraction"]),
                    feedback=inline_html(row["feedback"]),
                    gap=row["gap"],
                )
                for row in sorted(self.live_rows(), key=lambda row: row["gap"])
            ),
        }


class NumericalForm(QuestionForm):
    qtype = qspec.NUMERICAL
    row_form = NumericAnswerRowForm
    parts_label = _("Answers")
    parts_help = _(
        "A response within answer ± tolerance earns that answer's grade; one answer gives 100%."
    )

    def _rows(self):
        return [
            {
                "value": answer.value,
                "tolerance": answer.tolerance,
                "fraction": percent(answer.fraction),
                "feedback": inline_text(answer.feedback),
            }
            for answer in self.current.numeric_answers
        ]

    def _parts(self):
        return {
            "numeric_answers": tuple(
                qspec.NumericAnswer(
                    value=tidy(row["value"]),
                    tolerance=tidy(row["tolerance"] or Decimal(0)),
                    fraction=fraction_of(row["fraction"]),
                    feedback=inline_html(row["feedback"]),
                )
                for row in self.live_rows()
            )
        }


class MatchingForm(QuestionForm):
    qtype = qspec.MATCHING
    row_form = PairRowForm
    parts_label = _("Pairs")
    parts_help = _(
        "Each prompt with its matching answer; members pick the answer for each prompt "
        "from all the answers, shuffled."
    )
    min_rows = 4

    def _rows(self):
        return [
            {"key": pair.key, "prompt": inline_text(pair.prompt), "answer": pair.answer}
            for pair in self.current.pairs
        ]

    def _parts(self):
        used = self._used_keys(self.current.pairs if self.current else ())
        rows = self.live_rows()
        used |= {row["key"] for row in rows if row["key"]}
        return {
            "pairs": tuple(
                qspec.MatchPair(
                    key=row["key"] or next_key(used, alphabet=""),
                    prompt=inline_html(row["prompt"]),
                    answer=row["answer"].strip(),
                )
                for row in rows
            )
        }


class OrderingForm(QuestionForm):
    qtype = qspec.ORDERING
    row_form = ItemRowForm
    can_order = True
    parts_label = _("Items, in the right order")
    parts_help = _(
        "List the items in the right order (the Order column sets it); members see them "
        "shuffled and put them in order."
    )
    min_rows = 4

    def _rows(self):
        return [{"key": item.key, "text": inline_text(item.text)} for item in self.current.items]

    def _parts(self):
        used = self._used_keys(self.current.items if self.current else ())
        rows = self.live_rows()
        used |= {row["key"] for row in rows if row["key"]}
        return {
            "items": tuple(
                qspec.OrderItem(key=row["key"] or next_key(used), text=inline_html(row["text"]))
                for row in rows
            )
        }


class EssayForm(QuestionForm):
    qtype = qspec.ESSAY
    text_help = _("Members answer in their own words; a trainer marks the answer by hand.")


FORM_CLASSES: dict[str, type[QuestionForm]] = {
    form.qtype: form
    for form in (
        SingleChoiceForm,
        MultiChoiceForm,
        TrueFalseForm,
        ShortAnswerForm,
        NumericalForm,
        GapFillForm,
        MatchingForm,
        OrderingForm,
        EssayForm,
    )
}


def question_form_class(qtype: str) -> type[QuestionForm] | None:
    return FORM_CLASSES.get(qtype)


# --- categories ----------------------------------------------------------------------


class QuestionCategoryForm(WagtailAdminModelForm):
    """A category; its parent is offered by path, never itself or one of its own."""

    class Meta:
        model = QuestionCategory
        fields = ["name", "parent", "description"]
        field_classes = {"parent": PathOrderedCategoryField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        parent = self.fields["parent"]
        parent.required = False
        parent.empty_label = gettext("— top level —")
        if self.instance.pk:
            own = category_descendant_ids(category=self.instance)
            parent.queryset = parent.queryset.exclude(pk__in=own)

    def clean_name(self) -> str:
        name = (self.cleaned_data.get("name") or "").strip()
        if not name:
            raise ValidationError(gettext("A category needs a name."))
        return name
