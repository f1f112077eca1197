"""One world for the permission matrix, built once per module and rolled back at its end.

province
├── East district ── manager_district
│   ├── Branch A ── member_a, manager_a   (marker ``MARK["A"]`` in names and topics)
│   └── Branch B ── member_b, manager_b   (marker ``MARK["B"]``)
└── Training centre ── trainer             (the organisation-wide role)
superuser: no unit, as ``createsuperuser`` makes one.

Everything of branch A has a twin of branch B: a course whose audience is that branch only
(a reading lesson, a video lesson with a ladder file on disk, a handout, a cover image with
a rendition, a quiz with an essay), the member's finished attempt (essay waiting for
marking) and attempt in progress, a study session, an assignment, a report subscription
of the branch's manager, a caption of the video and audit-log entries about the branch.
Tests only read it: each test runs in a savepoint that is rolled back.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file
from wagtail.log_actions import log
from wagtail.models import ReferenceIndex

from cms import roles
from cms.models import HomePage, NoticeIndexPage, NoticePage
from courses.models import CourseAssignment, CourseIndexPage, Topic
from courses.services import enrolment_create
from exams.hours.services.attendance import study_session_create
from exams.quizzes import spec as qspec
from exams.quizzes.models import AttemptQuestion
from exams.quizzes.services.attempts import attempt_start, attempt_submit
from exams.reports.models import ReportExport
from exams.reports.subscriptions import subscription_create, unsubscribe_token
from media_pipeline.models import LectureCaption, LectureVideo
from media_pipeline.tokens import playback_token_make
from tests.courses.factories import make_course, make_lesson
from tests.exams.quizzes.conftest import make_category, make_question, make_quiz
from tests.factories import UserFactory, make_member, make_unit

from .matrix import COURSE_MARK, MARK, ROLES

Document = get_document_model()
Image = get_image_model()


def _side(w: SimpleNamespace, side: str) -> SimpleNamespace:
    """Branch ``side``'s objects: unit, member, manager, course, lessons, files, quiz …"""
    mark = MARK[side]
    unit = make_unit(f"Branch {mark}", parent=w.district, code=f"BR-{side}")
    member = make_member(unit, username=f"member_{side.lower()}")
    manager = make_member(unit, role=roles.MANAGERS, username=f"manager_{side.lower()}")
    for user in (member, manager):
        user.profile.full_name = f"{user.username} {mark}"
        user.profile.save()
        user.first_name, user.last_name = "Name", mark  # what Wagtail's admin shows
        user.save()

    image = Image.objects.create(title=f"Cover {side}", file=get_test_image_file())
    rendition = image.get_rendition("fill-40x30")
    course = make_course(f"Course {COURSE_MARK[side]}", audience=[unit], cover=image)
    reading = make_lesson(course, f"Reading {side}", estimated_minutes=5)
    document = Document(title=f"Handout {side}")
    document.file.save(f"handout-{side.lower()}.txt", ContentFile(b"handout\n"), save=False)
    document.save()
    make_lesson(course, f"Handout lesson {side}", body=[("document", {"document": document})])

    folder = f"lectures/matrix-{side.lower()}"
    video = LectureVideo.objects.create(
        title=f"Video {side}",
        file=f"media/matrix-{side.lower()}.mp4",
        type="video",
        duration=600.0,
        status=LectureVideo.Status.READY,
        rendition_dir=folder,
    )
    default_storage.save(f"{folder}/master.m3u8", ContentFile(b"#EXTM3U\n"))
    video_lesson = make_lesson(course, f"Video {side}", body=[("lecture_video", {"video": video})])
    caption = LectureCaption(video=video, language="en", label=f"Captions {side}")
    caption.file.save(f"captions-{side.lower()}.vtt", ContentFile(b"WEBVTT\n"), save=False)
    caption.save()

    for user in (member, manager):
        enrolment_create(user=user, course=course)
    quiz = make_quiz(course, questions=[w.question, w.essay_question], pass_percent=Decimal(60))
    for page in (course, reading, video_lesson, quiz):
        ReferenceIndex.create_or_update_for_object(page)
    finished = attempt_submit(
        user=member, attempt_id=attempt_start(user=member, quiz_id=quiz.pk)[0].pk
    )
    in_progress, _created = attempt_start(user=member, quiz_id=quiz.pk)
    essay_answer = AttemptQuestion.objects.get(
        attempt=finished, version__question__qtype=qspec.ESSAY
    )

    session = study_session_create(
        unit=unit,
        topic=f"Session {mark}",
        date=date.today() - timedelta(days=1),
        duration_minutes=60,
        by=manager,
    )
    assignment = CourseAssignment.objects.create(
        course=course, unit=unit, due_date=date.today() + timedelta(days=30), assigned_by=manager
    )
    subscription = subscription_create(manager=manager, unit_id=unit.pk, frequency="weekly")
    export = ReportExport(
        requester=manager,
        report="members",
        params={"unit": str(unit.pk)},
        format="csv",
        language="en",
        title=f"Members: Branch {mark}",
        status=ReportExport.Status.DONE,
        rows=2,
        finished_at=timezone.now(),
        expires_at=timezone.now() + timedelta(days=7),
    )
    export.file.save(f"matrix-{side.lower()}.csv", ContentFile(b"unit\n"), save=False)
    export.save()
    for instance in (unit, member.profile, session):
        log(instance=instance, action="wagtail.edit", user=manager)
    notice = NoticePage(title=f"Notice {mark}", slug=f"notice-{side.lower()}", body="<p>x</p>")
    w.notices.add_child(instance=notice)
    notice.audience_units.set([unit])
    notice.save()

    return SimpleNamespace(
        mark=mark,
        unit=unit,
        member=member,
        manager=manager,
        profile=member.profile,
        course=course,
        reading=reading,
        video_lesson=video_lesson,
        video=video,
        video_token=playback_token_make(video_id=video.pk, user_id=member.pk),
        caption=caption,
        document=document,
        image=image,
        rendition=rendition,
        quiz=quiz,
        finished=finished,
        in_progress=in_progress,
        essay_answer=essay_answer,
        session=session,
        assignment=assignment,
        subscription=subscription,
        unsubscribe_token=unsubscribe_token(subscription=subscription),
        export=export,
        notice=notice,
    )


def build_world() -> SimpleNamespace:
    cache.clear()  # ids come back after rolled-back tests; access checks are cached by id
    w = SimpleNamespace()
    w.province = make_unit("Province", code="PROV")
    w.district = make_unit("East district", parent=w.province, code="EAST")
    w.centre = make_unit("Training centre", parent=w.province, code="TRAIN")
    w.trainer = make_member(w.centre, role=roles.TRAINERS, username="trainer")
    w.manager_district = make_member(w.district, role=roles.MANAGERS, username="manager_d")
    w.superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    w.section = CourseIndexPage.objects.get(slug="courses")
    w.category = make_category("Matrix", "Safety")
    w.question = make_question(qspec.SINGLE, category=w.category)
    w.essay_question = make_question(qspec.ESSAY, category=w.category)
    w.topic = Topic.objects.create(name="Matrix topic", slug="matrix-topic")
    w.open_course = make_course("Course for everyone")
    # The home page shows a banner and the notices each role may read (cms.blocks).
    w.notices = NoticeIndexPage.objects.get(slug="notices")
    w.banner_image = Image.objects.create(title="Banner", file=get_test_image_file())
    home = HomePage.objects.get()
    home.body = [
        ("banner", {"image": w.banner_image, "heading": "Banner", "text": "", "link": None}),
        ("notices", {"heading": "Notices", "count": 10}),
    ]
    home.save_revision().publish()
    w.A = _side(w, "A")
    w.B = _side(w, "B")
    w.district_session = study_session_create(
        unit=w.district,
        topic="District session",
        date=date.today() - timedelta(days=2),
        duration_minutes=60,
        by=w.manager_district,
    )
    w.users = {
        "anonymous": None,
        "member_a": w.A.member,
        "member_b": w.B.member,
        "trainer": w.trainer,
        "manager_a": w.A.manager,
        "manager_b": w.B.manager,
        "manager_district": w.manager_district,
        "superuser": w.superuser,
    }
    assert set(w.users) == set(ROLES)
    return w


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)
