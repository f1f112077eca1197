"""Demo data of the exams app: study-hour rules and a study session with attendance."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone
from wagtail.models import Site

from cms.models import Unit

from .models import StudyHourRules, StudySession
from .services import attendance_record, study_session_create

DEMO_TOPIC = "学习党的二十届三中全会精神"


def seed(*, stdout) -> None:
    site = Site.objects.filter(is_default_site=True).first()
    if site is not None:
        StudyHourRules.for_site(site)  # the defaults: course completion, 45 minutes an hour
    unit = Unit.objects.filter(code="BR-E1").first()
    User = get_user_model()
    manager = User.objects.filter(username="manager_branch").first()
    if unit is None or manager is None:
        stdout.write("exams: no BR-E1 unit or manager_branch; demo study session skipped")
        return
    session = StudySession.objects.filter(unit=unit, topic=DEMO_TOPIC).first()
    if session is None:
        session = study_session_create(
            unit=unit,
            topic=DEMO_TOPIC,
            date=timezone.localdate() - timedelta(days=3),
            duration_minutes=90,
            by=manager,
        )
    attendees = list(User.objects.filter(username__in=["member1", "member2"]))
    attendance_record(session=session, users=attendees, by=manager)  # idempotent
    stdout.write(
        f"exams: study-hour rules, study session “{session.topic}” with "
        f"{session.attendances.count()} attendees"
    )
