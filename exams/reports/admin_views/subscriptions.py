"""Scheduled reports: subscribe to the unit being viewed, list one's subscriptions, and
unsubscribe."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from cms.models import Unit

from ..figures import report_root
from ..models import ReportSubscription
from ..subscriptions import (
    AlreadySubscribed,
    subscription_cancel,
    subscription_create,
    subscriptions_of,
)
from ..tables import BadReportRequest
from .base import ReportsMixin


class SubscribeForm(forms.Form):
    unit = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    frequency = forms.ChoiceField(
        label=gettext_lazy("How often"),
        choices=ReportSubscription.Frequency.choices,
        widget=forms.RadioSelect,
        initial=ReportSubscription.Frequency.WEEKLY,
    )


class SubscriptionsMixin(ReportsMixin):
    header_icon = "mail"

    def get_breadcrumbs_items(self):
        return [
            *super().get_breadcrumbs_items(),
            {"url": reverse("reports_subscriptions"), "label": _("Scheduled reports")},
        ]


class SubscriptionListView(SubscriptionsMixin, TemplateView):
    """The user's subscriptions, and a form to subscribe to ``?unit=`` (default: their
    own unit)."""

    template_name = "reports/admin/subscription_list.html"
    page_title = gettext_lazy("Scheduled reports")

    def get(self, request, *args, **kwargs):
        unit = report_root(user=request.user)
        if "unit" in request.GET:
            try:
                unit = self.unit_in_scope(int(request.GET["unit"]))
            except ValueError:
                raise Http404 from None
        form = SubscribeForm(initial={"unit": unit.pk}) if unit else None
        return self.render_to_response(self.get_context_data(unit=unit, form=form))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["subscriptions"] = list(subscriptions_of(user=self.request.user)[:100])
        return context


class SubscribeView(SubscriptionsMixin, TemplateView):
    template_name = "reports/admin/subscription_list.html"
    page_title = gettext_lazy("Scheduled reports")
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        form = SubscribeForm(request.POST)
        if not form.is_valid():
            return self.refuse(form, _("Choose a unit and weekly or monthly."))
        unit_id = form.cleaned_data["unit"]
        try:
            subscription_create(
                manager=request.user,
                unit_id=unit_id,
                frequency=form.cleaned_data["frequency"],
                language=translation.get_language() or "",
            )
        except Unit.DoesNotExist:
            raise Http404 from None
        except BadReportRequest as exc:
            return self.refuse(form, str(exc))
        except AlreadySubscribed:
            messages.warning(request, _("You already receive this report."))
            return redirect("reports_subscriptions")
        if not request.user.email:
            messages.warning(
                request,
                _("Subscribed, but your account has no e-mail address: add one in your account."),
            )
        else:
            messages.success(
                request,
                _("Subscribed. The report will be mailed to %(email)s.")
                % {"email": request.user.email},
            )
        return redirect("reports_subscriptions")

    def refuse(self, form, message: str) -> TemplateResponse:
        return TemplateResponse(
            self.request,
            self.template_name,
            self.get_context_data(
                error=message,
                form=form,
                subscriptions=list(subscriptions_of(user=self.request.user)[:100]),
            ),
            status=400,
        )


class UnsubscribeView(SubscriptionsMixin, TemplateView):
    http_method_names = ["post"]

    def post(self, request, subscription_id: int):
        try:
            subscription_cancel(user=request.user, subscription_id=subscription_id)
        except ReportSubscription.DoesNotExist:
            raise Http404 from None
        messages.success(request, _("Unsubscribed."))
        return redirect("reports_subscriptions")


urlpatterns = [
    path("subscriptions/", SubscriptionListView.as_view(), name="reports_subscriptions"),
    path("subscriptions/new/", SubscribeView.as_view(), name="reports_subscribe"),
    path(
        "subscriptions/<int:subscription_id>/cancel/",
        UnsubscribeView.as_view(),
        name="reports_subscription_cancel",
    ),
]
