"""The whole story of the issue, through the real views."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from wagtail.models import WorkflowState

from cms import roles
from courses.models import CoursePage

from .factories import course_section
from .test_admin_workflow import COMMENTS, add_url, course_form

pytestmark = pytest.mark.django_db


def test_trainer_creates_manager_approves_and_assigns_member_sees_it_required(
    client, org, member_factory
):
    trainer = member_factory(org.province, role=roles.TRAINERS)
    manager = member_factory(org.east, role=roles.MANAGERS)
    member = member_factory(org.branch_a)
    other = member_factory(org.branch_b)

    # a trainer creates a course and submits it
    client.force_login(trainer)
    client.post(
        add_url(course_section()), course_form("基层党建信息化建设", **{"action-submit": "1"})
    )
    course = CoursePage.objects.get(title="基层党建信息化建设")
    assert not course.live
    # with a lesson, which goes through review with its course
    client.post(
        reverse("wagtailadmin_pages:add", args=("courses", "lessonpage", course.pk)),
        {
            "title": "第一课",
            "slug": "first",
            "body-count": "0",
            "estimated_minutes": "20",
            **COMMENTS,
        },
    )

    # a manager approves it
    client.force_login(manager)
    state = WorkflowState.objects.get(object_id=str(course.pk))
    client.post(
        reverse(
            "wagtailadmin_pages:workflow_action",
            args=(course.pk, "approve", state.current_task_state.pk),
        )
    )
    course.refresh_from_db()
    assert course.live

    # and assigns it to branch A
    due = date.today() + timedelta(days=14)
    response = client.post(
        reverse("courses_assignments:index"),
        {"course": course.pk, "unit": org.branch_a.pk, "due_date": due.isoformat()},
    )
    assert response.status_code == 302

    # a member of branch A sees it required, found by a Chinese search too
    client.force_login(member)
    learning = client.get(reverse("courses:my_learning")).context["learning"]
    assert [(r.course.pk, r.enrolment.due_date) for r in learning.required] == [(course.pk, due)]
    search = client.get(reverse("courses:catalogue"), {"q": "党建"})
    assert [c.course.pk for c in search.context["cards"]] == [course.pk]

    # a member of the sibling branch does not have it required
    client.force_login(other)
    assert not client.get(reverse("courses:my_learning")).context["learning"].required
