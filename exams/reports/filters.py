"""What a report is about: a year, a date range within it, a course or a topic."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from courses.models import CoursePage, Topic

FIRST_YEAR = 2000
LAST_YEAR = 2100


class IdChoiceField(forms.ModelChoiceField):
    """A choice by id that refuses a value no id can be ("-1", 25 digits) as an invalid
    choice: Django's looks it up, and SQLite's driver raised OverflowError, a 500."""

    def to_python(self, value):
        if value not in self.empty_values and not (str(value).isdigit() and len(str(value)) <= 18):
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return super().to_python(value)


@dataclass(frozen=True)
class ReportFilters:
    """Hours and required courses are counted within ``date_from``–``date_to`` (inside
    ``year``) and, when given, for one course or the courses of one topic. Whether a member
    met the yearly target is always decided on the whole year's hours, all sources."""

    year: int
    date_from: date
    date_to: date
    course_id: int | None = None
    topic_id: int | None = None

    @classmethod
    def for_year(cls, year: int | None = None) -> ReportFilters:
        year = year or timezone.localdate().year
        return cls(year=year, date_from=date(year, 1, 1), date_to=date(year, 12, 31))

    @property
    def whole_year(self) -> bool:
        return (
            self.date_from == date(self.year, 1, 1)
            and self.date_to == date(self.year, 12, 31)
            and self.course_id is None
            and self.topic_id is None
        )

    def previous_year(self) -> ReportFilters:
        return replace(ReportFilters.for_year(self.year - 1), course_id=self.course_id)

    def as_query(self) -> dict[str, str]:
        """The filters as GET parameters (for links that keep them)."""
        query = {"year": str(self.year)}
        if (self.date_from, self.date_to) != (date(self.year, 1, 1), date(self.year, 12, 31)):
            query["date_from"] = self.date_from.isoformat()
            query["date_to"] = self.date_to.isoformat()
        if self.course_id:
            query["course"] = str(self.course_id)
        if self.topic_id:
            query["topic"] = str(self.topic_id)
        return query


class ReportFilterForm(forms.Form):
    year = forms.IntegerField(
        label=_("Year"), min_value=FIRST_YEAR, max_value=LAST_YEAR, required=False
    )
    date_from = forms.DateField(label=pgettext_lazy("date range", "From"), required=False)
    date_to = forms.DateField(label=pgettext_lazy("date range", "To"), required=False)
    course = IdChoiceField(
        label=_("Course"),
        queryset=CoursePage.objects.live().order_by("title"),
        required=False,
        empty_label=_("All courses"),
    )
    topic = IdChoiceField(
        label=_("Topic"),
        queryset=Topic.objects.order_by("name"),
        required=False,
        empty_label=_("All topics"),
    )

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and not data.get("year"):
            data = data.copy()
            data["year"] = str(timezone.localdate().year)  # shown in the form, not blank
        super().__init__(data, *args, **kwargs)

    def summary(self) -> str:
        """The filters in force, in words (after ``is_valid()``)."""
        data = self.cleaned_data
        parts = [str(data["year"])]
        if (data["date_from"], data["date_to"]) != (
            date(data["year"], 1, 1),
            date(data["year"], 12, 31),
        ):
            parts.append(f"{data['date_from']:%m-%d} – {data['date_to']:%m-%d}")
        parts += [str(data[name]) for name in ("course", "topic") if data.get(name)]
        return " · ".join(parts)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        year = data.get("year") or timezone.localdate().year
        data["year"] = year
        date_from = data.get("date_from") or date(year, 1, 1)
        date_to = data.get("date_to") or date(year, 12, 31)
        if date_from.year != year or date_to.year != year:
            raise forms.ValidationError(
                _("The date range must lie within the year %(year)s."), params={"year": year}
            )
        if date_from > date_to:
            raise forms.ValidationError(_("The start date must not be after the end date."))
        data["date_from"], data["date_to"] = date_from, date_to
        return data

    def filters(self) -> ReportFilters:
        """The cleaned filters (call after ``is_valid()``)."""
        data = self.cleaned_data
        return ReportFilters(
            year=data["year"],
            date_from=data["date_from"],
            date_to=data["date_to"],
            course_id=data["course"].pk if data.get("course") else None,
            topic_id=data["topic"].pk if data.get("topic") else None,
        )
