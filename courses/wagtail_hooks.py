from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import include, path, reverse
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from cms.home_panels import (
    FEATURED_COURSES_HOOK,
    MEMBER_PANELS_HOOK,
    FeaturedCards,
    HomePanel,
)

from . import admin_views
from .covers import WebPBudgetOperation
from .models import CourseAssignment, CourseIndexPage, CoursePage, Topic
from .review import course_review_errors, course_review_publish_lessons
from .selectors import (
    assignments_visible_to,
    catalogue_cards,
    catalogue_queryset,
    continue_learning,
    courses_visible_to,
    file_visible_to,
    member_learning,
)
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


@hooks.register("register_image_operations")
def register_cover_image_operations():
    """``webpbudget-<bytes>``: covers fit their byte budget (``courses.covers``)."""
    return [("webpbudget", WebPBudgetOperation)]


@hooks.register("before_publish_page")
def publish_a_course_with_its_lessons(request: HttpRequest, page):
    """Direct publishing (only superusers may) follows the rules of "Course review": the
    course goes live with its changed lessons, lessons first, or not at all (the edits stay
    saved as a draft and the editor says why)."""
    if not isinstance(page.specific, CoursePage):
        return None
    errors = course_review_errors(course=page.specific)
    if errors:
        if page.first_published_at is None:
            # The create view adds a new page live before publishing it: take that back.
            type(page).objects.filter(pk=page.pk).update(live=False, has_unpublished_changes=True)
        for error in errors:
            messages.error(request, error)
        return redirect("wagtailadmin_pages:edit", page.pk)
    course_review_publish_lessons(course=page.specific, user=request.user)
    return None


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


# --- the home page (cms): featured courses and the member's strip --------------------------

HOME_DUE_LIMIT = 3
HOME_RESUME_LIMIT = 3


@hooks.register(FEATURED_COURSES_HOOK)
def home_featured_courses(*, user, page_ids, limit) -> FeaturedCards:
    """The chosen courses the user may see, in the editor's order (none chosen: the
    newest), as the catalogue's cards."""
    courses = catalogue_queryset(courses_visible_to(user=user))
    if page_ids is None:
        chosen = list(courses.order_by("-first_published_at", "-pk")[:limit])
    else:
        by_pk = {course.pk: course for course in courses.filter(pk__in=page_ids)}
        chosen = [by_pk[pk] for pk in page_ids if pk in by_pk][:limit]
    return FeaturedCards(
        "courses/includes/course_card.html", catalogue_cards(user=user, courses=chosen)
    )


@hooks.register(MEMBER_PANELS_HOOK, order=20)
def home_due_panel(request) -> HomePanel | None:
    """Required courses due soonest (as on "My learning")."""
    rows = [row for row in member_learning(user=request.user).required if row.enrolment.due_date]
    return HomePanel(
        title=gettext("Courses due"),
        template="cms/panels/links.html",
        context={
            "rows": [
                {
                    "url": row.course.url,
                    "label": row.course.title,
                    "note": (gettext("overdue") + " · " if row.overdue else "")
                    + row.enrolment.due_date.isoformat(),
                    "warn": row.overdue,
                }
                for row in rows[:HOME_DUE_LIMIT]
            ],
            "empty": pgettext("home page", "No course due."),
        },
    )


@hooks.register(MEMBER_PANELS_HOOK, order=30)
def home_continue_panel(request) -> HomePanel | None:
    """The lessons the member is really in, with their courses."""
    rows = continue_learning(user=request.user, limit=HOME_RESUME_LIMIT)
    return HomePanel(
        title=gettext("Continue where you left off"),
        template="cms/panels/links.html",
        context={
            "rows": [
                {
                    "url": row.url,
                    "label": f"{row.course.title} · {row.lesson.title}",
                    "note": row.position_label,
                }
                for row in rows
            ],
            "empty": pgettext("home page", "Nothing started yet: pick a course below."),
        },
        link=reverse("courses:catalogue"),
        link_label=gettext("All courses"),
    )
