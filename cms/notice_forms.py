"""The admin form of a notice: the audience a manager may choose, and dates in order.

``cms.models`` uses this form, so the modules that read models are imported inside the
methods (importing them here would import ``cms.models`` while it is being defined).
"""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminPageForm


class NoticePageForm(WagtailAdminPageForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from .notices import notice_units_for

        field = self.fields.get("audience_units")
        if field is not None and self.for_user is not None:
            # Only the user's subtree is offered; ``clean`` refuses anything else sent.
            field.queryset = notice_units_for(user=self.for_user).order_by("path")

    def clean(self):
        cleaned_data = super().clean()
        from .notices import notice_audience_allowed

        date, expires = cleaned_data.get("date"), cleaned_data.get("expires")
        if date and expires and expires < date:
            self.add_error("expires", _("A notice cannot expire before its date."))
        units = cleaned_data.get("audience_units")
        if units is not None and self.for_user is not None:
            unit_ids = [unit.pk for unit in units]
            if not notice_audience_allowed(user=self.for_user, unit_ids=unit_ids):
                self.add_error(
                    "audience_units",
                    _("Choose one or more units of your own subtree.")
                    if not unit_ids
                    else _("You may only write notices for units of your own subtree."),
                )
        return cleaned_data
