"""Demo data for the training reports: a completed required course and a second branch's
study session, so that both branches of the east district have figures to compare."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from cms.models import Unit
from courses.models import CourseAssignment, LessonPage
from courses.services import lesson_complete
from exams.hours.models import StudySession
from exams.hours.services import attendance_record, study_session_create

from .models import ReportSubscription
from .subscriptions import subscriptions_send_due

SESSION_TOPIC = "安全生产法规解读"


def seed(*, stdout) -> None:
    User = get_user_model()
    users = {u.username: u for u in User.objects.filter(username__startswith="m")}
    branch_2 = Unit.objects.filter(code="BR-E2").first()
    manager = users.get("manager_district")
    if branch_2 is None or manager is None:
        stdout.write("reports: no BR-E2 unit or manager_district; demo figures skipped")
        return

    # member2 has done every lesson the watch log completes of BR-E1's required course.
    assignment = CourseAssignment.objects.filter(unit__code="BR-E1", withdrawn_at=None).first()
    if assignment is not None and "member2" in users:
        lessons = LessonPage.objects.child_of(assignment.course).filter(
            completion=LessonPage.Completion.WATCH_LOG
        )
        for lesson in lessons.order_by("path"):
            lesson_complete(user=users["member2"], lesson=lesson)

    session = StudySession.objects.filter(unit=branch_2, topic=SESSION_TOPIC).first()
    if session is None:
        session = study_session_create(
            unit=branch_2,
            topic=SESSION_TOPIC,
            date=timezone.localdate() - timedelta(days=10),
            duration_minutes=135,
            by=manager,
        )
    present = [users[name] for name in ("member4", "member5") if name in users]
    attendance_record(session=session, users=present, by=manager)  # idempotent

    # manager_district receives the weekly report of their district; the first one now.
    district = manager.profile.unit
    ReportSubscription.objects.get_or_create(
        manager=manager,
        unit=district,
        frequency=ReportSubscription.Frequency.WEEKLY,
        active=True,
        defaults={"language": "zh-hans"},
    )
    sent = subscriptions_send_due()
    stdout.write(
        f"reports: “{session.topic}” attended by {session.attendances.count()} in "
        f"{branch_2.name}; manager_district and manager_branch see 培训报告 in the admin; "
        f"weekly report of {district.name} mailed to {manager.email} ({sent.sent} sent now, "
        f"{getattr(settings, 'EMAIL_FILE_PATH', 'console')})"
    )
