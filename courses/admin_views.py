"""The managers' assignment screen in the Wagtail admin."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from cms.selectors import user_is_manager

from .forms import AssignmentForm, RescheduleForm
from .models import CourseAssignment
from .selectors import assignments_visible_to
from .services import assignment_create, assignment_reschedule, assignment_withdraw


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


def _active_assignment(request: HttpRequest, assignment_id: int) -> CourseAssignment:
    return get_object_or_404(
        assignments_visible_to(user=request.user).filter(withdrawn_at=None), pk=assignment_id
    )


def _errors(exc: Exception) -> str:
    return " ".join(getattr(exc, "messages", [str(exc)]))


def assignment_edit_view(request: HttpRequest, assignment_id: int) -> HttpResponse:
    """Change an active assignment's due date."""
    _require_manager(request)
    assignment = _active_assignment(request, assignment_id)
    form = RescheduleForm(request.POST or None, initial={"due_date": assignment.due_date})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                assignment_reschedule(
                    assignment=assignment, due_date=form.cleaned_data["due_date"], by=request.user
                )
            except (PermissionDenied, ValidationError) as exc:
                form.add_error(None, _errors(exc))
            else:
                messages.success(request, _("Due date changed."))
                return redirect("courses_assignments:index")
        status = 400
    return TemplateResponse(
        request,
        "courses/admin/assignment_edit.html",
        {
            "form": form,
            "assignment": assignment,
            "page_title": _("Change the due date"),
            "header_icon": "list-ul",
        },
        status=status,
    )


def assignment_withdraw_view(request: HttpRequest, assignment_id: int) -> HttpResponse:
    """GET asks for confirmation; POST withdraws."""
    _require_manager(request)
    assignment = _active_assignment(request, assignment_id)
    if request.method != "POST":
        return TemplateResponse(
            request,
            "courses/admin/assignment_withdraw.html",
            {
                "assignment": assignment,
                "open_enrolments": assignment.enrolments.filter(completed_at=None).count(),
                "page_title": _("Withdraw the assignment?"),
                "header_icon": "list-ul",
            },
        )
    try:
        assignment_withdraw(assignment=assignment, withdrawn_by=request.user)
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, _("Assignment withdrawn; progress already made is kept."))
    return redirect("courses_assignments:index")
