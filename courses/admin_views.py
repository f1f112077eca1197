"""The managers' assignment screen in the Wagtail admin."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cms.selectors import user_is_manager

from .forms import AssignmentForm
from .selectors import assignments_visible_to
from .services import assignment_create, assignment_withdraw


def may_assign(user) -> bool:
    return user.is_authenticated and (user.is_superuser or user_is_manager(user=user))


def _require_manager(request: HttpRequest) -> None:
    if not may_assign(request.user):
        raise PermissionDenied


def assignment_index(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    status = 200
    form = AssignmentForm(request.POST or None, manager=request.user)
    if request.method == "POST":
        if form.is_valid():
            try:
                assignment_create(assigned_by=request.user, **form.cleaned_data)
            except (PermissionDenied, ValidationError) as exc:
                messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
                status = 400
            else:
                messages.success(request, _("Course assigned."))
                return redirect("courses_assignments:index")
        else:
            messages.error(request, _("The assignment could not be saved; see the errors below."))
            status = 400
    return TemplateResponse(
        request,
        "courses/admin/assignments.html",
        {
            "form": form,
            "assignments": assignments_visible_to(user=request.user)[:200],
            "page_title": _("Course assignments"),
            "header_icon": "list-ul",
        },
        status=status,
    )


@require_POST
def assignment_withdraw_view(request: HttpRequest, assignment_id: int) -> HttpResponse:
    _require_manager(request)
    assignment = get_object_or_404(assignments_visible_to(user=request.user), pk=assignment_id)
    try:
        assignment_withdraw(assignment=assignment, withdrawn_by=request.user)
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, _("Assignment withdrawn; progress already made is kept."))
    return redirect("courses_assignments:index")
