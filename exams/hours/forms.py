from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cms.models import Unit

MAX_IMPORT_BYTES = 2 * 1024 * 1024


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        return obj.indented_name


class StudySessionForm(forms.Form):
    """A study session; its credit is derived from the duration by the rules (not typed)."""

    unit = UnitChoiceField(label=_("Unit"), queryset=Unit.objects.none())
    topic = forms.CharField(label=_("Topic"), max_length=200)
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), min_value=1, max_value=24 * 60
    )

    def __init__(self, *args, units, rules, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units.order_by("path")
        self.fields["duration_minutes"].help_text = gettext(
            "Attendees are credited the duration divided by %(minutes)d minutes per study "
            "hour, rounded down to 0.1 h, at most %(max)s h."
        ) % {"minutes": rules.minutes_per_hour, "max": rules.study_session_max_hours}


class AttendanceForm(forms.Form):
    members = forms.MultipleChoiceField(
        label=_("Present"), required=False, widget=forms.CheckboxSelectMultiple
    )
    reason = forms.CharField(
        label=_("Reason for a correction"),
        max_length=200,
        required=False,
        help_text=_("Kept in the history when someone is removed."),
    )

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].choices = choices


class AttendanceImportForm(forms.Form):
    file = forms.FileField(
        label=_("List of usernames (CSV or XLSX)"),
        help_text=_("One username per row, in the first column."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(_("The file is larger than 2 MB."))
        if not upload.name.lower().endswith((".csv", ".xlsx", ".txt")):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        return upload
