"""What every report screen shares: who may open it, the filters, the sort order."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, QueryDict
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from cms.models import Unit

from ..figures import report_unit, user_may_see_reports
from ..filters import ReportFilterForm


class ReportsMixin(WagtailAdminTemplateMixin):
    """Managers (their unit's subtree) and superusers; anyone else is refused."""

    header_icon = "table"

    def dispatch(self, request, *args, **kwargs):
        if not user_may_see_reports(user=request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("reports_home"), "label": _("Training reports")},
        ]

    def unit_in_scope(self, unit_id: int) -> Unit:
        try:
            return report_unit(user=self.request.user, unit_id=unit_id)
        except Unit.DoesNotExist:
            raise Http404 from None

    def bad_request(self, context: dict) -> TemplateResponse:
        """The screen with its form errors and no figures: a 400, never a 500."""
        return self.response_class(
            request=self.request,
            template=self.get_template_names(),
            context=self.get_context_data(**context),
            status=400,
        )


class SortForm(forms.Form):
    ORDERS = [("asc", gettext_lazy("ascending")), ("desc", gettext_lazy("descending"))]

    sort = forms.ChoiceField(label=gettext_lazy("Sort by"), required=False)
    order = forms.ChoiceField(label=gettext_lazy("Order"), choices=ORDERS, required=False)

    def __init__(self, *args, keys: list[str], default: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sort"].choices = [(key, key) for key in keys]
        self.default = default

    def clean(self):
        data = super().clean()
        data["sort"] = data.get("sort") or self.default
        data["descending"] = data.get("order") == "desc"
        return data


def filter_forms(
    query: QueryDict, *, keys: list[str], default_sort: str
) -> tuple[ReportFilterForm, SortForm]:
    return ReportFilterForm(query), SortForm(query, keys=keys, default=default_sort)


def query_without(query: QueryDict, *names: str) -> str:
    """The GET parameters minus ``names``, encoded (for links that change one of them)."""
    kept = query.copy()
    for name in names:
        kept.pop(name, None)
    return kept.urlencode()
