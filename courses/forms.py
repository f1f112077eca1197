from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext_lazy as _

from cms.models import Unit
from cms.selectors import units_visible_to

from .models import CoursePage
from .services import assignment_due_date_errors


def _due_date_field() -> forms.DateField:
    return forms.DateField(label=_("Due date"), widget=forms.DateInput(attrs={"type": "date"}))


class DueDateMixin:
    def clean_due_date(self):
        due_date = self.cleaned_data["due_date"]
        if errors := assignment_due_date_errors(due_date=due_date):
            raise forms.ValidationError(errors)
        return due_date


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        return obj.indented_name


class AssignmentForm(DueDateMixin, forms.Form):
    course = forms.ModelChoiceField(
        label=_("Course"), queryset=CoursePage.objects.none(), empty_label=None
    )
    unit = UnitChoiceField(
        label=_("Unit (with every unit below it)"), queryset=Unit.objects.none(), empty_label=None
    )
    due_date = _due_date_field()

    def __init__(self, *args, manager: AbstractBaseUser, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = CoursePage.objects.live().order_by("title")
        self.fields["unit"].queryset = units_visible_to(user=manager).order_by("path")


class RescheduleForm(DueDateMixin, forms.Form):
    due_date = _due_date_field()
