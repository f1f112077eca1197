import io

from exams.hours import demo
from exams.hours.models import Attendance, StudyHourEntry, StudySession


def test_demo_seed_is_idempotent(db, settings):
    from cms import demo as cms_demo

    cms_demo.seed(stdout=io.StringIO())
    demo.seed(stdout=io.StringIO())
    demo.seed(stdout=io.StringIO())
    assert StudySession.objects.count() == 1
    assert Attendance.objects.count() == 2
    assert StudyHourEntry.objects.count() == 2
