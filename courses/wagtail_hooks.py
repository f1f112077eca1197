from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from . import admin_views
from .models import CourseAssignment, CourseIndexPage, Topic
from .selectors import assignments_visible_to, file_visible_to
from .services import (
    ACTION_ASSIGNMENT_CREATED,
    ACTION_ASSIGNMENT_RESCHEDULED,
    ACTION_ASSIGNMENT_WITHDRAWN,
    course_section_workflow_ensure,
)


class TopicViewSet(SnippetViewSet):
    model = Topic
    icon = "tag"
    menu_label = _("Topics")
    add_to_admin_menu = False
    list_display = ["name", "slug"]


register_snippet(TopicViewSet)


class AssignmentMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        return admin_views.may_assign(request.user)


assignment_urls = (
    [
        path("", admin_views.assignment_index, name="index"),
        path(
            "<int:assignment_id>/withdraw/",
            admin_views.assignment_withdraw_view,
            name="withdraw",
        ),
        path("<int:assignment_id>/edit/", admin_views.assignment_edit_view, name="edit"),
    ],
    "courses_assignments",
)


@hooks.register("register_admin_urls")
def register_assignment_urls():
    return [path("course-assignments/", include(assignment_urls))]


@hooks.register("register_admin_menu_item")
def register_assignment_menu_item():
    return AssignmentMenuItem(
        _("Course assignments"),
        reverse("courses_assignments:index"),
        icon_name="list-ul",
        order=300,
    )


@hooks.register("after_create_page")
def review_new_course_sections(request, page):
    if isinstance(page.specific, CourseIndexPage):
        course_section_workflow_ensure(section=page.specific)


@hooks.register("before_serve_document")
def serve_documents_to_their_courses(document, request: HttpRequest) -> HttpResponse | None:
    """A handout goes only to those who may see a course using it (see ``file_visible_to``):
    anonymous visitors are sent to log in, other members get a 404."""
    if file_visible_to(user=request.user, file=document):
        return None
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    raise Http404


@hooks.register("register_log_actions")
def register_assignment_log_actions(actions):
    actions.register_action(ACTION_ASSIGNMENT_CREATED, _("Assign course"), _("Course assigned"))
    actions.register_action(
        ACTION_ASSIGNMENT_RESCHEDULED, _("Change due date"), _("Assignment due date changed")
    )
    actions.register_action(
        ACTION_ASSIGNMENT_WITHDRAWN, _("Withdraw assignment"), _("Assignment withdrawn")
    )


@hooks.register("register_audit_log_scope")
def register_assignment_log_scope():
    """Managers see audit entries about the assignments of their units only."""
    return {CourseAssignment: assignments_visible_to}
