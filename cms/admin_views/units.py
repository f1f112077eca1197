"""The unit tree in the Wagtail admin."""

import django_filters
from django.contrib import messages
from django.db.models import ProtectedError, QuerySet
from django.shortcuts import redirect
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic import history, usage
from wagtail.admin.viewsets.model import ModelViewSet

from cms.forms import UnitForm
from cms.models import Unit
from cms.selectors import unit_yearly_targets, units_visible_to

from .scoping import ScopedListingMixin, ScopedObjectListingMixin, ScopedObjectMixin


def _depth_choices() -> list[tuple[int, str]]:
    depths = Unit.objects.order_by("depth").values_list("depth", flat=True).distinct()
    return [(depth, _("Level %(level)d") % {"level": depth}) for depth in depths]


def _visible_units(request) -> QuerySet[Unit]:
    if request is None:
        return Unit.objects.none()
    return units_visible_to(user=request.user).order_by("path")


class UnitFilterField(django_filters.fields.ModelChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        return obj.indented_name


class UnitChoiceFilter(django_filters.ModelChoiceFilter):
    """Offers the units the user may see, indented as a tree."""

    field_class = UnitFilterField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("queryset", _visible_units)
        super().__init__(*args, **kwargs)


class UnitFilterSet(WagtailFilterSet):
    depth = django_filters.ChoiceFilter(label=_("Level"), choices=_depth_choices)
    parent = UnitChoiceFilter(label=_("Parent unit"), method="filter_parent")

    class Meta:
        model = Unit
        fields = ["depth", "parent"]

    def filter_parent(self, queryset: QuerySet[Unit], name: str, value: Unit) -> QuerySet[Unit]:
        if value is None:
            return queryset
        return queryset.filter(path__startswith=value.path, depth=value.depth + 1)


class UnitScope:
    def scoped_queryset(self) -> QuerySet[Unit]:
        return units_visible_to(user=self.request.user)


class UnitIndexView(UnitScope, ScopedListingMixin, generic.IndexView):
    @cached_property
    def columns(self):
        title_column = self._get_title_column_class(TitleColumn)
        return [
            title_column(
                "name",
                label=_("Name"),
                accessor="indented_name",
                get_url=self.get_edit_url,
                sort_key="path",
            ),
            Column("code", label=_("Code"), sort_key="code"),
            Column(
                "target",
                label=_("Yearly study-hour target"),
                accessor=lambda unit: self._targets.get(unit.pk),
            ),
        ]

    def get_table(self, object_list):
        # One query for the whole page's inherited targets, not one per row.
        self._targets = unit_yearly_targets(units=list(object_list))
        return super().get_table(object_list)


class UnitEditView(UnitScope, ScopedObjectMixin, generic.EditView):
    pass


class UnitDeleteView(UnitScope, ScopedObjectMixin, generic.DeleteView):
    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ProtectedError:
            messages.error(
                self.request,
                _("This unit (or a unit below it) still has members; move them first."),
            )
            return redirect(self.get_success_url())


class UnitHistoryView(UnitScope, ScopedObjectListingMixin, history.HistoryView):
    pass


class UnitUsageView(UnitScope, ScopedObjectListingMixin, usage.UsageView):
    pass


class UnitViewSet(ModelViewSet):
    model = Unit
    name = "units"
    icon = "group"
    menu_label = _("Units")
    index_view_class = UnitIndexView
    edit_view_class = UnitEditView
    delete_view_class = UnitDeleteView
    history_view_class = UnitHistoryView
    usage_view_class = UnitUsageView
    filterset_class = UnitFilterSet
    ordering = "path"
    list_per_page = 50
    search_fields = ["name", "code"]
    search_backend_name = None
    copy_view_enabled = False
    add_to_reference_index = False

    def get_form_class(self, for_update: bool = False):
        return UnitForm
