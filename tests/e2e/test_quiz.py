"""A member takes a timed quiz on a phone-sized headless Chromium, the connection drops in
the middle, and she finishes on another device: the attempt page, quiz.js's offline queue
and the quiz API together, against a live server."""

import json
import os
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from courses.models import CoursePage, LessonProgress
from courses.services import enrolment_create
from exams.quizzes import spec as qspec
from exams.quizzes.models import Attempt, AttemptQuestion
from tests.browser import login_context
from tests.e2e.conftest import course_section
from tests.exams.quizzes.conftest import make_category, make_question, make_quiz
from tests.factories import make_member, make_unit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}
TYPES = (qspec.SINGLE, qspec.MULTI, qspec.SHORTANSWER, qspec.NUMERICAL, qspec.MATCHING)


@pytest.fixture
def quiz_world(live_server):
    section = course_section()
    member = make_member(make_unit("E2E quiz branch"), username="taker")
    course = section.add_child(instance=CoursePage(title="E2E quiz course", slug="e2e-quiz"))
    category = make_category("E2E quiz bank")
    quiz = make_quiz(
        course,
        questions=[make_question(qtype, category=category) for qtype in TYPES],
        time_limit_minutes=10,
        review_score="immediately",
        review_answers="immediately",
        review_feedback="immediately",
    )
    enrolment_create(user=member, course=course)
    return member, quiz


def _phone(browser, client, live_server, member):
    context = login_context(browser, client, member, live_server)
    page = context.new_page()
    page.set_viewport_size(PHONE)
    return context, page


def _responses(attempt_id: int) -> dict[int, dict | None]:
    return dict(
        AttemptQuestion.objects.filter(attempt_id=attempt_id).values_list("position", "response")
    )


def _wait_saved(attempt_id: int, positions, timeout: float = 15.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        stored = _responses(attempt_id)
        if all(stored.get(p) for p in positions):
            return stored
        if time.monotonic() > deadline:
            pytest.fail(f"answers {positions} not saved: {stored}")
        time.sleep(0.1)


def _queue(page, attempt_id: int) -> dict:
    raw = page.evaluate(f"() => localStorage.getItem('quiz:{attempt_id}:queue')")
    return json.loads(raw or "{}")


def test_a_dropped_connection_loses_nothing_and_the_attempt_resumes_elsewhere(
    browser, client, live_server, quiz_world
):
    member, quiz = quiz_world
    context, page = _phone(browser, client, live_server, member)
    try:
        # given the member starts the quiz on her phone
        page.goto(live_server.url + quiz.url)
        page.click(f'form[action="/quizzes/{quiz.pk}/start/"] button')
        page.wait_for_selector("#quiz-form")
        attempt = Attempt.objects.get(user=member, quiz=quiz)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        assert page.is_visible("#quiz-left")  # the countdown from the server's clock
        assert page.evaluate("() => !!window.Hls") is False

        # when she answers two questions online, they are autosaved
        page.check('input[name="q1-choice"][value="a"]')
        page.check('input[name="q2-choices"][value="a"]')
        page.check('input[name="q2-choices"][value="b"]')
        _wait_saved(attempt.pk, [1, 2])
        page.wait_for_selector("#quiz-status.saved")

        # and then the connection drops while she answers two more
        context.set_offline(True)
        page.fill('input[name="q3-text"]', "SECRETANSWER")
        page.fill('input[name="q4-value"]', "42,125")
        page.wait_for_selector("#quiz-status.offline", timeout=5000)
        page.wait_for_function(
            f"() => Object.keys(JSON.parse(localStorage.getItem('quiz:{attempt.pk}:queue')"
            " || '{}')).length === 2"
        )

        # then nothing is lost: both wait on the device, the server has neither yet
        queued = _queue(page, attempt.pk)
        assert {q["position"]: q["response"] for q in queued.values()} == {
            3: {"text": "SECRETANSWER"},
            4: {"value": "42,125"},
        }
        stored = _responses(attempt.pk)
        assert stored[3] is None and stored[4] is None
        if os.environ.get("E2E_SCREENSHOTS"):
            page.screenshot(path=os.path.join(os.environ["E2E_SCREENSHOTS"], "quiz-offline.png"))

        # when the connection returns, the queue is sent by itself
        context.set_offline(False)
        stored = _wait_saved(attempt.pk, [1, 2, 3, 4])
        page.wait_for_selector("#quiz-status.saved")
        assert _queue(page, attempt.pk) == {}
        assert stored[3] == {"text": "SECRETANSWER"} and stored[4] == {"value": "42,125"}
        assert stored[2] == {"choices": ["a", "b"]}
        remaining = page.evaluate("() => document.getElementById('quiz-left').textContent")
        assert ":" in remaining  # counting down in m:ss
    finally:
        page.goto("about:blank")
        context.close()

    # given another device, logged in as the same member
    context, page = _phone(browser, client, live_server, member)
    try:
        page.goto(live_server.url + quiz.url)
        page.click(f'form[action="/quizzes/{quiz.pk}/start/"] button')  # "Resume"
        page.wait_for_selector("#quiz-form")

        # then every answer is there, from the server
        assert page.is_checked('input[name="q1-choice"][value="a"]')
        assert page.is_checked('input[name="q2-choices"][value="b"]')
        assert page.input_value('input[name="q3-text"]') == "SECRETANSWER"
        assert page.input_value('input[name="q4-value"]') == "42,125"

        # when she answers the last question here and submits
        prompts = page.eval_on_selector_all(
            'select[name^="q5-match-"]', "els => els.map(e => e.name)"
        )
        pairs = {"p1": "Extinguisher", "p2": "Bandage", "p3": "Torch"}
        for name in prompts:
            page.select_option(f'select[name="{name}"]', pairs[name.rsplit("-", 1)[1]])
        page.on("dialog", lambda dialog: dialog.accept())
        with page.expect_navigation():
            page.click("button[data-submit]")

        # then the review shows her grade and the right answers, per the quiz's options
        page.wait_for_selector(".quiz-result")
        assert page.url.endswith(f"/quizzes/attempts/{attempt.pk}/review/")
        text = page.inner_text("main")
        assert "100%" in text
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        if os.environ.get("E2E_SCREENSHOTS"):
            page.screenshot(path=os.path.join(os.environ["E2E_SCREENSHOTS"], "quiz-review.png"))
    finally:
        page.goto("about:blank")
        context.close()

    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.GRADED and attempt.percent == 100
    assert Attempt.objects.filter(user=member, quiz=quiz).count() == 1
    progress = LessonProgress.objects.get(user=member, lesson=quiz)
    assert progress.state == LessonProgress.State.DONE


def test_a_reload_replays_only_the_queued_answers_newer_than_the_servers(
    browser, client, live_server, quiz_world
):
    member, quiz = quiz_world
    context, page = _phone(browser, client, live_server, member)
    try:
        # given an attempt with question 1 saved twice (seq 2: "a")
        page.goto(live_server.url + quiz.url)
        page.click(f'form[action="/quizzes/{quiz.pk}/start/"] button')
        page.wait_for_selector("#quiz-form")
        attempt = Attempt.objects.get(user=member, quiz=quiz)
        page.check('input[name="q1-choice"][value="b"]')
        page.wait_for_timeout(1200)
        page.check('input[name="q1-choice"][value="a"]')
        page.wait_for_function(
            f"() => JSON.parse(localStorage.getItem('quiz:{attempt.pk}:seq'))['1'] === 2"
        )
        _wait_saved(attempt.pk, [1])
        page.wait_for_selector("#quiz-status.saved")

        # and the server unreachable (the device still thinks it is online) while she
        # types an answer; an old answer of question 1 also lingers in the queue
        page.route("**/responses/", lambda route: route.abort())
        page.fill('input[name="q3-text"]', "typed while unreachable")
        page.wait_for_selector("#quiz-status.offline", timeout=5000)
        page.evaluate(
            f"""() => {{
              const key = 'quiz:{attempt.pk}:queue';
              const queue = JSON.parse(localStorage.getItem(key));
              queue['1'] = {{position: 1, response: {{choice: 'c'}}, seq: 1}};
              localStorage.setItem(key, JSON.stringify(queue));
            }}"""
        )
        assert _responses(attempt.pk)[3] is None

        # when the server is back and she reloads the page
        page.unroute("**/responses/")
        page.reload()
        page.wait_for_selector("#quiz-form")

        # then the newer queued answer is put back and sent; the stale one is dropped
        stored = _wait_saved(attempt.pk, [1, 3])
        assert stored[3] == {"text": "typed while unreachable"}
        assert page.input_value('input[name="q3-text"]') == "typed while unreachable"
        assert stored[1] == {"choice": "a"}
        assert page.is_checked('input[name="q1-choice"][value="a"]')
        page.wait_for_function(f"() => localStorage.getItem('quiz:{attempt.pk}:queue') === '{{}}'")
    finally:
        page.goto("about:blank")
        context.close()


def test_when_the_servers_time_is_up_the_page_submits_what_was_answered(
    browser, client, live_server, quiz_world
):
    member, quiz = quiz_world
    context, page = _phone(browser, client, live_server, member)
    try:
        # given an attempt whose server deadline is 4 seconds away
        page.goto(live_server.url + quiz.url)
        page.click(f'form[action="/quizzes/{quiz.pk}/start/"] button')
        page.wait_for_selector("#quiz-form")
        attempt = Attempt.objects.get(user=member, quiz=quiz)
        Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() + timedelta(seconds=4))
        page.reload()
        page.wait_for_selector("#quiz-form")

        # when she answers one question and the countdown reaches zero
        page.check('input[name="q1-choice"][value="a"]')
        page.wait_for_url(f"**/quizzes/attempts/{attempt.pk}/review/", timeout=15000)

        # then the page submitted by itself, with her answer in it
        attempt.refresh_from_db()
        assert attempt.state == Attempt.State.GRADED
        assert _responses(attempt.pk)[1] == {"choice": "a"}
        assert attempt.score == 1
    finally:
        page.goto("about:blank")
        context.close()
