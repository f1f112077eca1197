"""The permission matrix: every URL of ours (and a chosen set of Wagtail's own admin views
that a manager or trainer can reach) × every role, with the outcome the product must give.

An entry names a URL (its URL name, or its route when unnamed), says how to build the URL
for "an object of branch A" from the world (``tests/security/conftest.py``), which method
to send, and what each role must get for the object of A. For the object of B the
expectation is the mirror image: member A ↔ member B, manager A ↔ manager B (the world is
symmetric; the trainer, the district manager and the superuser see A and B alike).

Outcomes (see ``classify``):

- ``ok``: 2xx, or 3xx to anything but a login page or the admin dashboard;
- ``login``: a redirect to a login page (the site's or the admin's; Wagtail sends a
  signed-in user without admin access there too), or 401/403 to an anonymous API call;
- ``denied``: 403, or Wagtail's permission-denied redirect to the admin dashboard;
- ``missing``: 404;
- ``bad``: 400 (an empty or minimal body from a role that is let in);
- ``method``: 405 (GET on a POST-only view).

``REFUSED`` ("denied|missing") accepts either refusal where two documented checks (scope
first, 404; permission first, 403) may meet a role first. A 5xx is always a failure. A
finding (the product differs from the rule) is written with the right expectation and an
``xfail`` (strict) in ``findings`` that says what happens instead.

``leaks`` adds a look at the page itself: a role let into a listing, a form or a log must
not find the marker of another branch's units and members (``MARK``), or of a course not
meant for it (``COURSE_MARK``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

from django.urls import reverse

from cms.models import MemberProfile, Unit
from courses.models import CourseAssignment

ROLES = (
    "anonymous",
    "member_a",
    "member_b",
    "trainer",
    "manager_a",
    "manager_b",
    "manager_district",
    "superuser",
)
OUTCOMES = ("ok", "login", "denied", "missing", "bad", "method")

#: Text found only in branch A's (B's) objects: unit and member names, session topics.
MARK = {"A": "Qx7Alpha", "B": "Qx7Bravo"}
#: The branch markers a role must never find on a page it is let into (listings, logs).
HIDDEN = {
    "member_a": ("B",),
    "member_b": ("A",),
    "trainer": ("A", "B"),
    "manager_a": ("B",),
    "manager_b": ("A",),
}
#: Text found only in the titles of the course whose audience is branch A (B).
COURSE_MARK = {"A": "Kq9Alpha", "B": "Kq9Bravo"}
#: The courses a role must not find among those offered to it (courses.selectors): the
#: other branch's, and for the district manager, above both audiences, either.
COURSE_HIDDEN = {
    "member_a": ("B",),
    "member_b": ("A",),
    "manager_a": ("B",),
    "manager_b": ("A",),
    "manager_district": ("A", "B"),
}
#: What an entry's ``leaks`` looks for: the markers and who must not see which.
LEAK_RULES = {"unit": (MARK, HIDDEN), "course": (COURSE_MARK, COURSE_HIDDEN)}
_MIRROR = {"member_a": "member_b", "member_b": "member_a", "manager_a": "manager_b"}
_MIRROR["manager_b"] = "manager_a"

LOGIN_PATHS = ("/accounts/login/", "/admin/login/", "/_util/login/")

World = SimpleNamespace
Side = SimpleNamespace
UrlBuilder = Callable[[World, Side], str]


@dataclass(frozen=True)
class Entry:
    name: str  # URL name (``namespace:name``) or, for an unnamed pattern, its route
    url: UrlBuilder  # (world, world.A or world.B) → path
    expect: Mapping[str, str]  # role → outcome for the object of A (or the one URL)
    method: str = "GET"
    label: str = ""  # tells apart several entries of one URL name
    sided: bool = True  # False: one URL for all (a listing, or an organisation-wide object)
    api: bool = False  # an anonymous 401/403 means "log in"
    body: Any = None  # POST/PATCH body, or (world, side) → body; JSON for ``api`` entries
    creates: Callable[[World, Side], Any] | None = None  # a POST that makes an object for
    # the side's unit: (world, side) → queryset of it; made only by roles whose outcome is
    # in ``writers`` (mirrored for B), whatever the status says
    writers: tuple[str, ...] = ()
    leaks: str = ""  # "unit"/"course": a page a role is let into must not show the other
    # branch's units and members, or the courses not meant for the role (``LEAK_RULES``)
    findings: Mapping[tuple[str, str], str] = field(default_factory=dict)  # (role, side)

    @property
    def key(self) -> str:
        return "|".join(part for part in (self.name, self.label, self.method) if part)

    def may_write(self, role: str, side: str) -> bool:
        return (_MIRROR.get(role, role) if side == "B" else role) in self.writers

    def expected(self, role: str, side: str) -> tuple[str, ...]:
        """The outcomes accepted (one, or either of a ``REFUSED``)."""
        return tuple(self.expect[_MIRROR.get(role, role) if side == "B" else role].split("|"))


def classify(response, *, role: str, api: bool) -> str:
    code = response.status_code
    if code in (301, 302, 303, 307, 308):
        location = urlsplit(response["Location"]).path
        if location in LOGIN_PATHS:
            return "login"
        if location == reverse("wagtailadmin_home"):
            return "denied"
        return "ok"
    if 200 <= code < 300:
        return "ok"
    if code == 401 or (code == 403 and api and role == "anonymous"):
        return "login"
    return {403: "denied", 404: "missing", 400: "bad", 405: "method"}.get(code, f"HTTP {code}")


# --- expectation profiles (for the object of A) ------------------------------------------

#: Either refusal: a role without the permission asking for an object outside its scope
#: may meet the scope check (404, ``cms/admin_views/scoping.py``) or the permission check
#: (403) first; both refuse, neither tells anything.
REFUSED = "denied|missing"


def roles(default: str, **overrides: str) -> dict[str, str]:
    unknown = set(overrides) - set(ROLES)
    assert not unknown, unknown
    return {role: overrides.get(role, default) for role in ROLES}


def _with(profile: Mapping[str, str], **overrides: str) -> dict[str, str]:
    return {**profile, **overrides}


#: Member-facing pages that any signed-in user may open.
SIGNED_IN = roles("ok", anonymous="login")
#: Something of a course whose audience is branch A: its members and managers (the
#: manager of A belongs to A), trainers and superusers (they see every course). The
#: district manager is above the audience, not in it (``courses.selectors``).
AUDIENCE = roles(
    "missing", anonymous="login", member_a="ok", trainer="ok", manager_a="ok", superuser="ok"
)
#: A handout or an image of course A: its audience, and whoever may choose the file in the
#: admin (``courses.selectors.file_visible_to``): trainers, and every manager, who reviews
#: and edits courses for the whole organisation (their choose permissions come from our
#: migration cms 0006, whatever order Wagtail's ran in).
COURSE_FILE = roles("ok", anonymous="login", member_b="missing")
#: A notice for branch A (cms.notices): the members of A and the units below it, and
#: superusers. Neither the district's manager (above A) nor the trainer is in its audience.
NOTICE = _with(AUDIENCE, trainer="missing")
#: Member A's own attempt: nobody else, superusers included, gets it through the
#: member's pages or API.
OWNER = roles("missing", anonymous="login", member_a="ok")
#: Any Wagtail admin user (trainers, managers, superusers); members have no admin access,
#: and Wagtail sends them to its login page.
ADMIN = roles("ok", anonymous="login", member_a="login", member_b="login")
#: Managers and superusers; trainers are refused.
MANAGERS = _with(ADMIN, trainer="denied")
#: An object of branch A in a managers' screen: the unit subtree decides (cms.selectors).
SCOPED = _with(MANAGERS, manager_b="missing")
#: The same in the organisation admin, where the trainer (no unit permissions, scope:
#: their own unit) may meet either check first.
ORG_SCOPED = _with(SCOPED, trainer=REFUSED)
#: An object of the district (above both branches): its manager and superusers only.
UP = _with(ORG_SCOPED, manager_a="missing")
#: Trainers and superusers (question bank, captions, marking, statistics, lecture media).
TRAINERS = _with(ADMIN, manager_a="denied", manager_b="denied", manager_district="denied")
#: Superusers only (no role holds the model's permissions).
SUPERUSERS = _with(TRAINERS, trainer="denied")
#: Every admin user refused.
ADMIN_REFUSED = roles("denied", anonymous="login", member_a="login", member_b="login")
# The API: a signed-in user without the right gets 403.
API_MANAGERS = roles("ok", anonymous="login", member_a="denied", member_b="denied")
API_MANAGERS["trainer"] = "denied"
API_SCOPED = _with(API_MANAGERS, manager_b="missing")


def post_only(profile: Mapping[str, str]) -> dict[str, str]:
    """GET on a POST-only view: 405 for whoever passes the checks made before the method
    (admin access, the view's role check, DRF's authentication); those stay as they are."""
    return {role: o if o in ("login", "denied") else "method" for role, o in profile.items()}


# --- URL builders --------------------------------------------------------------------------


def r(name: str, *args: Callable[[World, Side], Any], query: str = "") -> UrlBuilder:
    """``reverse(name, args=[f(world, side) for f in args])`` (+ ``?query``)."""

    def build(world: World, side: Side) -> str:
        url = reverse(name, args=[arg(world, side) for arg in args])
        if query:
            url += "?" + query.format(w=world, s=side)
        return url

    return build


def unit(w: World, s: Side) -> int:
    return s.unit.pk


def member_user(w: World, s: Side) -> int:
    return s.member.pk


def profile(w: World, s: Side) -> int:
    return s.profile.pk


def course(w: World, s: Side) -> int:
    return s.course.pk


def quiz(w: World, s: Side) -> int:
    return s.quiz.pk


def in_progress(w: World, s: Side) -> int:
    return s.in_progress.pk


def finished(w: World, s: Side) -> int:
    return s.finished.pk


def video(w: World, s: Side) -> int:
    return s.video.pk


def caption(w: World, s: Side) -> int:
    return s.caption.pk


def assignment(w: World, s: Side) -> int:
    return s.assignment.pk


def question(w: World, s: Side) -> int:
    return w.question.pk


def category(w: World, s: Side) -> int:
    return w.category.pk


def notice(w: World, s: Side) -> int:
    return s.notice.pk


def notices(w: World, s: Side) -> int:
    return w.notices.pk


def topic(w: World, s: Side) -> int:
    return w.topic.pk


def first_answer(w: World, s: Side) -> dict:
    """A well-formed autosave of the attempt's first question (the owner's is saved)."""
    position = s.in_progress.questions.order_by("position").values_list("position", flat=True)
    return {"answers": [{"position": position[0], "response": {"choice": "a"}, "seq": 1}]}


def each(name: str, url: UrlBuilder | None, expect: Mapping[str, str], **kw: Any) -> Entry:
    """An entry tried on the object of A and on the object of B (``sided=False``: on the
    object of A only, for a secondary view of an object whose main view is tried on both;
    the object of A alone already meets every role, the other branch's included)."""
    return Entry(name=name, url=url or r(name), expect=expect, **kw)


def one(name: str, expect: Mapping[str, str], url: UrlBuilder | None = None, **kw: Any) -> Entry:
    """An entry with one URL: a listing, or an object of the whole organisation (a
    question, a caption, a course page in the admin, where A and B are alike)."""
    return Entry(name=name, url=url or r(name), expect=expect, sided=False, **kw)


def api_each(name: str, *args: Callable, expect: Mapping[str, str], **kw: Any) -> Entry:
    return each(name, r(name, *args, query=kw.pop("query", "")), expect, api=True, **kw)


# --- the entries ---------------------------------------------------------------------------

ENTRIES: list[Entry] = [
    # ---- API: watching -------------------------------------------------------------------
    # The heartbeat authenticates by the beat token in its body, never by the session:
    # without a token every caller is refused alike (tests/exams/tracking has the tokens).
    one("exams_api:heartbeats", roles("denied", anonymous="login"), method="POST", api=True),
    one("exams_api:heartbeats", roles("method"), api=True),
    one("exams_api:preferences", SIGNED_IN, api=True),
    # A PATCH changes what it sends: an empty one is let in and changes nothing.
    one("exams_api:preferences", SIGNED_IN, method="PATCH", api=True),
    one("exams_api:ping", SIGNED_IN, api=True),
    # Polled by the admin's media listing; answers only about videos the user may manage.
    api_each(
        "media_pipeline_api:video-status", expect=SIGNED_IN, query="ids={s.video.pk}", sided=False
    ),
    # ---- API: quizzes --------------------------------------------------------------------
    api_each("quizzes_api:attempt_start", quiz, expect=AUDIENCE, method="POST"),
    one(
        "quizzes_api:attempt_start",
        post_only(SIGNED_IN),
        r("quizzes_api:attempt_start", quiz),
        api=True,
    ),
    api_each("quizzes_api:attempt", in_progress, expect=OWNER),
    api_each("quizzes_api:responses", in_progress, expect=OWNER, method="POST", body=first_answer),
    one(
        "quizzes_api:responses",
        post_only(SIGNED_IN),
        r("quizzes_api:responses", in_progress),
        api=True,
    ),
    api_each(
        "quizzes_api:page", in_progress, expect=OWNER, method="POST", body={"page": 0}, sided=False
    ),
    one("quizzes_api:page", post_only(SIGNED_IN), r("quizzes_api:page", in_progress), api=True),
    api_each("quizzes_api:submit", in_progress, expect=OWNER, method="POST", sided=False),
    one("quizzes_api:submit", post_only(SIGNED_IN), r("quizzes_api:submit", in_progress), api=True),
    api_each("quizzes_api:review", finished, expect=OWNER),
    # ---- API: reports --------------------------------------------------------------------
    one("reports_api:units", API_MANAGERS, api=True, leaks="unit"),
    api_each("reports_api:overview", unit, expect=API_SCOPED),
    api_each("reports_api:members", unit, expect=API_SCOPED, leaks="unit"),
    api_each("reports_api:course", course, expect=API_SCOPED, query="unit={s.unit.pk}"),
    api_each("reports_api:quiz", quiz, expect=API_SCOPED, query="unit={s.unit.pk}"),
    api_each("reports_api:member_record", member_user, expect=API_SCOPED),
    # An /api/ path that names no endpoint (an id the converter refuses): a JSON 404 for all.
    one(
        "api-not-found",
        roles("missing"),
        lambda w, s: f"/api/v1/quizzes/-{s.quiz.pk}/attempts/",
        api=True,
    ),
    one(
        "api-not-found",
        roles("missing"),
        lambda w, s: f"/api/v1/quizzes/-{s.quiz.pk}/attempts/",
        method="POST",
        label="post",
        api=True,
    ),
    # ---- site: members' pages ------------------------------------------------------------
    one("login", roles("ok")),  # the site's login page (signed-in users are sent on)
    one("courses:my_learning", SIGNED_IN, leaks="course"),
    one("courses:catalogue", SIGNED_IN, leaks="course"),
    one(
        "courses:catalogue",
        SIGNED_IN,
        r("courses:catalogue", query="q=Course"),
        label="search",
        leaks="course",
    ),
    each("courses:enrol", r("courses:enrol", course), AUDIENCE, method="POST"),
    one("courses:enrol", roles("method"), r("courses:enrol", course)),  # require_POST first
    each(
        "tracking:lesson_done",
        r("tracking:lesson_done", lambda w, s: s.reading.pk),
        AUDIENCE,
        method="POST",
    ),
    one(
        "tracking:lesson_done",
        roles("method"),
        r("tracking:lesson_done", lambda w, s: s.reading.pk),
    ),
    each("quizzes:start", r("quizzes:start", quiz), AUDIENCE, method="POST"),
    one("quizzes:start", roles("method"), r("quizzes:start", quiz)),
    each("quizzes:attempt", r("quizzes:attempt", in_progress), OWNER),
    each("quizzes:review", r("quizzes:review", finished), OWNER),
    # A superuser has no unit, so no training record (a 404 by design).
    one("reports:my_record", _with(SIGNED_IN, superuser="missing"), leaks="unit"),
    # Pages Wagtail serves through our page types' serve methods: the home page is public,
    # the course section is the catalogue.
    one("wagtail_serve", roles("ok"), lambda w, s: "/", label="home"),
    one("wagtail_serve", SIGNED_IN, lambda w, s: w.section.url, label="section", leaks="course"),
    each("wagtail_serve", lambda w, s: s.course.url, AUDIENCE, label="course"),
    each("wagtail_serve", lambda w, s: s.reading.url, AUDIENCE, label="lesson"),
    each("wagtail_serve", lambda w, s: s.quiz.url, AUDIENCE, label="quiz lesson"),
    # Notices (cms.notices): the home page and the listing show each role the notices for
    # its unit and the units above (a trainer of the training centre: neither branch's);
    # a branch's notice by URL: its members and managers, and superusers; anonymous
    # visitors are sent to log in. The banner is the home page's own, served to anyone.
    one("wagtail_serve", roles("ok"), lambda w, s: "/", label="home notices", leaks="unit"),
    one("wagtail_serve", roles("ok"), lambda w, s: w.notices.url, label="notices", leaks="unit"),
    each("wagtail_serve", lambda w, s: s.notice.url, NOTICE, label="notice"),
    one(
        "wagtail_serve",
        roles("ok"),
        lambda w, s: f"/banner/{w.banner_image.pk}/",
        label="home banner",
    ),
    one(
        "wagtail_serve",
        roles("missing"),
        lambda w, s: f"/banner/{s.image.pk}/",
        label="home banner of a course image",
    ),
    # ---- site: files ---------------------------------------------------------------------
    # A ladder file behind member A's signed path: member A only, whoever else holds it.
    each(
        "media_pipeline:serve",
        r("media_pipeline:serve", lambda w, s: s.video_token, video, lambda w, s: "master.m3u8"),
        roles("denied", anonymous="login", member_a="ok"),
        api=True,
    ),
    # An image rendition answers 404 to whoever may not see it, anonymous visitors too (it
    # is fetched by <img>, never navigated to).
    each(
        "courses_files:image", lambda w, s: s.rendition.url, _with(COURSE_FILE, anonymous="missing")
    ),
    each("wagtaildocs_serve", lambda w, s: s.document.url, COURSE_FILE),
    # ---- admin: organisation (cms) -------------------------------------------------------
    one("cms_member_import", MANAGERS),
    one("cms_member_import_preview", MANAGERS),  # nothing pending: back to the upload
    one("cms_member_import_confirm", MANAGERS, method="POST"),
    one("cms_member_import_confirm", post_only(MANAGERS)),
    one("cms_member_import_cancel", MANAGERS, method="POST"),
    one("cms_member_import_cancel", post_only(MANAGERS)),
    one("units:index", MANAGERS, leaks="unit"),
    one("units:index_results", MANAGERS, leaks="unit"),
    one("units:add", MANAGERS, leaks="unit"),  # the parent to choose: within the subtree
    each(
        "units:add",
        r("units:add"),
        MANAGERS,
        method="POST",
        body=lambda w, s: {"name": "New unit", "code": "NEW-UNIT", "parent": s.unit.pk},
        creates=lambda w, s: Unit.objects.filter(code="NEW-UNIT", path__startswith=s.unit.path),
        writers=("manager_a", "manager_district", "superuser"),
    ),
    each("units:edit", r("units:edit", unit), ORG_SCOPED, leaks="unit"),
    # Managers hold no delete permission on units: their own are refused, others not found.
    each(
        "units:delete",
        r("units:delete", unit),
        _with(ORG_SCOPED, manager_a="denied", manager_district="denied"),
    ),
    each("units:history", r("units:history", unit), ORG_SCOPED, leaks="unit"),
    each("units:history_results", r("units:history_results", unit), ORG_SCOPED, sided=False),
    each("units:usage", r("units:usage", unit), ORG_SCOPED, sided=False),
    one("members:index", MANAGERS, leaks="unit"),
    one("members:index_results", MANAGERS, leaks="unit"),
    one("members:add", MANAGERS, leaks="unit"),
    each(
        "members:add",
        r("members:add"),
        MANAGERS,
        method="POST",
        body=lambda w, s: {
            "username": "new_member",
            "full_name": "New member",
            "unit": s.unit.pk,
            "role": "Members",
        },
        creates=lambda w, s: MemberProfile.objects.filter(user__username="new_member", unit=s.unit),
        writers=("manager_a", "manager_district", "superuser"),
    ),
    each("members:edit", r("members:edit", profile), ORG_SCOPED, leaks="unit"),
    # Profiles are never deleted (accounts are deactivated): refused to everyone in scope.
    each(
        "members:delete",
        r("members:delete", profile),
        _with(ADMIN_REFUSED, trainer=REFUSED, manager_b="missing"),
    ),
    each("members:history", r("members:history", profile), ORG_SCOPED),
    each("members:history_results", r("members:history_results", profile), ORG_SCOPED, sided=False),
    each("members:usage", r("members:usage", profile), ORG_SCOPED, sided=False),
    each("members:unlock", r("members:unlock", profile), ORG_SCOPED),  # confirm
    each("members:unlock", r("members:unlock", profile), ORG_SCOPED, method="POST"),
    # ---- admin: course assignments -------------------------------------------------------
    one("courses_assignments:index", MANAGERS, leaks="unit"),
    # Assigning a course to a unit: only within one's subtree (the form's units are scoped).
    each(
        "courses_assignments:index",
        r("courses_assignments:index"),
        _with(SCOPED, manager_b="bad"),
        method="POST",
        body=lambda w, s: {
            "course": w.open_course.pk,
            "unit": s.unit.pk,
            "due_date": (date.today() + timedelta(days=60)).isoformat(),
        },
        creates=lambda w, s: CourseAssignment.objects.filter(unit=s.unit, course=w.open_course),
        writers=("manager_a", "manager_district", "superuser"),
    ),
    each("courses_assignments:edit", r("courses_assignments:edit", assignment), SCOPED),
    each(
        "courses_assignments:edit",
        r("courses_assignments:edit", assignment),
        _with(SCOPED, manager_a="bad", manager_district="bad", superuser="bad"),
        method="POST",
    ),
    each(
        "courses_assignments:withdraw", r("courses_assignments:withdraw", assignment), SCOPED
    ),  # confirm
    each(
        "courses_assignments:withdraw",
        r("courses_assignments:withdraw", assignment),
        SCOPED,
        method="POST",
    ),
    # ---- admin: topics (snippets) --------------------------------------------------------
    # No role holds Topic's permissions: superusers edit them. Choosing one is open to
    # every admin user (a course's editor picks its topic; topics are public).
    one("wagtailsnippets_courses_topic:list", SUPERUSERS),
    one("wagtailsnippets_courses_topic:list_results", SUPERUSERS),
    one("wagtailsnippets_courses_topic:add", SUPERUSERS),
    one(
        "wagtailsnippets_courses_topic:edit",
        SUPERUSERS,
        r("wagtailsnippets_courses_topic:edit", topic),
    ),
    one(
        "wagtailsnippets_courses_topic:delete",
        SUPERUSERS,
        r("wagtailsnippets_courses_topic:delete", topic),
    ),
    one(
        "wagtailsnippets_courses_topic:usage",
        SUPERUSERS,
        r("wagtailsnippets_courses_topic:usage", topic),
    ),
    one(
        "wagtailsnippets_courses_topic:history",
        SUPERUSERS,
        r("wagtailsnippets_courses_topic:history", topic),
    ),
    one(
        "wagtailsnippets_courses_topic:history_results",
        SUPERUSERS,
        r("wagtailsnippets_courses_topic:history_results", topic),
    ),
    one(
        "wagtailsnippets_courses_topic:copy",
        SUPERUSERS,
        r("wagtailsnippets_courses_topic:copy", topic),
    ),
    one("wagtailsnippetchoosers_courses_topic:choose", ADMIN),
    one("wagtailsnippetchoosers_courses_topic:choose_results", ADMIN),
    one(
        "wagtailsnippetchoosers_courses_topic:chosen",
        ADMIN,
        r("wagtailsnippetchoosers_courses_topic:chosen", topic),
    ),
    one("wagtailsnippetchoosers_courses_topic:chosen_multiple", ADMIN),
    one("wagtailsnippetchoosers_courses_topic:create", SUPERUSERS),
    # ---- admin: study sessions -----------------------------------------------------------
    one("exams_study_sessions", MANAGERS, leaks="unit"),
    one("exams_study_session_create", MANAGERS, leaks="unit"),
    # A session for a unit out of one's subtree: the form answers 200 with its error, so
    # what tells is whether the session was made.
    each(
        "exams_study_session_create",
        r("exams_study_session_create"),
        MANAGERS,
        method="POST",
        body=lambda w, s: {
            "unit": s.unit.pk,
            "topic": "Matrix new session",
            "date": (date.today() - timedelta(days=1)).isoformat(),
            "duration_minutes": 45,
        },
        creates=lambda w, s: s.unit.study_sessions.filter(topic="Matrix new session"),
        writers=("manager_a", "manager_district", "superuser"),
    ),
    each(
        "exams_study_session",
        r("exams_study_session", lambda w, s: s.session.pk),
        SCOPED,
        leaks="unit",
    ),
    # ---- admin: question bank, import, marking, statistics (organisation-wide) -----------
    one("question_bank:index", TRAINERS),
    one("question_bank:index_results", TRAINERS),
    one("question_bank:add", TRAINERS),
    one("question_bank:edit", TRAINERS, r("question_bank:edit", question)),
    one("question_bank:delete", TRAINERS, r("question_bank:delete", question)),
    one("question_bank:preview", TRAINERS, r("question_bank:preview", question)),
    one("question_bank:history", TRAINERS, r("question_bank:history", question)),
    one("question_bank:history_results", TRAINERS, r("question_bank:history_results", question)),
    one("question_bank:usage", TRAINERS, r("question_bank:usage", question)),
    one("question_categories:index", TRAINERS),
    one("question_categories:index_results", TRAINERS),
    one("question_categories:add", TRAINERS),
    one("question_categories:edit", TRAINERS, r("question_categories:edit", category)),
    one("question_categories:delete", TRAINERS, r("question_categories:delete", category)),
    one("question_categories:history", TRAINERS, r("question_categories:history", category)),
    one(
        "question_categories:history_results",
        TRAINERS,
        r("question_categories:history_results", category),
    ),
    one("question_categories:usage", TRAINERS, r("question_categories:usage", category)),
    one("quizzes_import:upload", TRAINERS),
    # Nothing waiting to be confirmed or cancelled: a 400 to those let in.
    one("quizzes_import:confirm", _with(TRAINERS, trainer="bad", superuser="bad"), method="POST"),
    one("quizzes_import:confirm", post_only(TRAINERS)),
    one("quizzes_import:cancel", _with(TRAINERS, trainer="bad", superuser="bad"), method="POST"),
    one("quizzes_import:cancel", post_only(TRAINERS)),
    one("quizzes_import:template", TRAINERS),
    one("quizzes_import:export", TRAINERS),
    one("quizzes_marking:queue", TRAINERS),
    one(
        "quizzes_marking:mark", TRAINERS, r("quizzes_marking:mark", lambda w, s: s.essay_answer.pk)
    ),
    one(
        "quizzes_marking:regrade",
        TRAINERS,
        r("quizzes_marking:regrade", query="question={w.question.pk}"),
    ),
    one("quizzes_statistics:index", TRAINERS),
    one("quizzes_statistics:quiz", TRAINERS, r("quizzes_statistics:quiz", quiz)),
    # ---- admin: lecture media ------------------------------------------------------------
    one("media_pipeline_retry", TRAINERS, r("media_pipeline_retry", video), method="POST"),
    one("media_pipeline_retry", ADMIN_REFUSED, r("media_pipeline_retry", video)),  # POST only
    one("lecture_captions:index", TRAINERS),
    one("lecture_captions:index_results", TRAINERS),
    one("lecture_captions:add", TRAINERS),
    one("lecture_captions:edit", TRAINERS, r("lecture_captions:edit", caption)),
    one("lecture_captions:delete", TRAINERS, r("lecture_captions:delete", caption)),
    one("lecture_captions:history", TRAINERS, r("lecture_captions:history", caption)),
    one(
        "lecture_captions:history_results", TRAINERS, r("lecture_captions:history_results", caption)
    ),
    one("lecture_captions:usage", TRAINERS, r("lecture_captions:usage", caption)),
    one("lecture_captions:copy", TRAINERS, r("lecture_captions:copy", caption)),
    # ---- admin: training reports (managers, their unit subtree) --------------------------
    one("reports_home", MANAGERS),  # on to the report of the user's own unit
    each("reports_unit", r("reports_unit", unit), SCOPED, leaks="unit"),
    each("reports_members", r("reports_members", unit), SCOPED, leaks="unit"),
    each("reports_member", r("reports_member", member_user), SCOPED),
    each("reports_member_print", r("reports_member_print", member_user), SCOPED, sided=False),
    each("reports_courses", r("reports_courses", unit), SCOPED, leaks="unit"),
    each("reports_course", r("reports_course", unit, course), SCOPED, leaks="unit"),
    each(
        "reports_course_members",
        r("reports_course_members", unit, course),
        SCOPED,
        leaks="unit",
        sided=False,
    ),
    each("reports_quizzes", r("reports_quizzes", unit), SCOPED, leaks="unit"),
    each("reports_quiz", r("reports_quiz", unit, quiz), SCOPED, leaks="unit"),
    each(
        "reports_quiz_members",
        r("reports_quiz_members", unit, quiz),
        SCOPED,
        leaks="unit",
        sided=False,
    ),
    # Each manager lists their own exports only (A's and B's managers have one each).
    # Each manager lists their own exports (A's and B's managers have a finished one each).
    one("reports_exports", MANAGERS, leaks="unit"),
    # The file of a finished export goes to its requester only: 404 for anyone else,
    # superusers and anonymous visitors included (exams/reports/site_views.py).
    each(
        "reports_export_download",
        r("reports_export_download", lambda w, s: s.export.pk),
        roles("missing", manager_a="ok"),
    ),
    # The mail's unsubscribe link: the signed token is the key, no login (GET confirms).
    each(
        "reports_unsubscribe",
        r("reports_unsubscribe", lambda w, s: s.unsubscribe_token),
        roles("ok"),
    ),
    each(
        "reports_export",
        r("reports_export", query="report=members&format=csv&unit={s.unit.pk}"),
        SCOPED,
    ),
    one("reports_subscriptions", MANAGERS, leaks="unit"),
    # Subscribing to a unit's report: within one's subtree (A's manager already is).
    each(
        "reports_subscribe",
        r("reports_subscribe"),
        SCOPED,
        method="POST",
        body=lambda w, s: {"unit": s.unit.pk, "frequency": "weekly"},
    ),
    one("reports_subscribe", post_only(MANAGERS)),
    # A subscription is its manager's own: nobody else cancels it.
    each(
        "reports_subscription_cancel",
        r("reports_subscription_cancel", lambda w, s: s.subscription.pk),
        _with(SCOPED, manager_district="missing", superuser="missing"),
        method="POST",
    ),
    one(
        "reports_subscription_cancel",
        post_only(MANAGERS),
        r("reports_subscription_cancel", lambda w, s: s.subscription.pk),
    ),
    # ---- upwards: the district's objects are out of reach of the branches' managers ------
    one("units:edit", UP, r("units:edit", lambda w, s: w.district.pk), label="district"),
    one(
        "members:edit",
        UP,
        r("members:edit", lambda w, s: w.manager_district.profile.pk),
        label="district manager",
    ),
    one(
        "exams_study_session",
        _with(UP, trainer="denied"),
        r("exams_study_session", lambda w, s: w.district_session.pk),
        label="district",
    ),
    one(
        "reports_unit",
        _with(UP, trainer="denied"),
        r("reports_unit", lambda w, s: w.district.pk),
        label="district",
    ),
    one(
        "reports_member",
        _with(UP, trainer="denied"),
        r("reports_member", lambda w, s: w.manager_district.pk),
        label="district manager",
    ),
    one(
        "reports_api:member_record",
        _with(API_SCOPED, manager_a="missing"),
        r("reports_api:member_record", lambda w, s: w.manager_district.pk),
        label="district manager",
        api=True,
    ),
    one(
        "reports_api:overview",
        _with(API_SCOPED, manager_a="missing"),
        r("reports_api:overview", lambda w, s: w.district.pk),
        label="district",
        api=True,
    ),
    # ---- Wagtail's own admin views a trainer or manager reaches ---------------------------
    # Course pages are the organisation's: trainers write them and every manager reviews
    # them ("Course review"), whatever their audience.
    one("wagtailadmin_home", ADMIN),
    one("wagtailadmin_explore_root", ADMIN),
    one("wagtailadmin_explore", ADMIN, r("wagtailadmin_explore", course)),
    one("wagtailadmin_pages:edit", ADMIN, r("wagtailadmin_pages:edit", course)),
    one("wagtailadmin_pages:history", ADMIN, r("wagtailadmin_pages:history", course)),
    one("wagtailadmin_pages:usage", ADMIN, r("wagtailadmin_pages:usage", course)),
    one("wagtailadmin_pages:search", ADMIN, r("wagtailadmin_pages:search", query="q=Course")),
    # Notices are written by managers for their own subtree and reviewed ("公告审核"):
    # another branch's notice is not found; the audience offered is one's own subtree.
    each(
        "wagtailadmin_pages:edit", r("wagtailadmin_pages:edit", notice), ORG_SCOPED, label="notice"
    ),
    each(
        "wagtailadmin_pages:view_draft",
        r("wagtailadmin_pages:view_draft", notice),
        ORG_SCOPED,
        label="notice",
    ),
    one(
        "wagtailadmin_pages:add",
        MANAGERS,
        r("wagtailadmin_pages:add", lambda w, s: "cms", lambda w, s: "noticepage", notices),
        label="notice",
        leaks="unit",
    ),
    one(
        "wagtailadmin_explore",
        ADMIN,
        r("wagtailadmin_explore", notices),
        label="notices",
        leaks="unit",
    ),
    one(
        "wagtailadmin_pages:search",
        ADMIN,
        r("wagtailadmin_pages:search", query="q=Notice"),
        label="notices",
        leaks="unit",
    ),
    # Site history: managers see the entries of their subtree only, trainers none of ours.
    one("wagtailadmin_reports:site_history", ADMIN, leaks="unit"),
    one("wagtailadmin_reports:site_history_results", ADMIN, leaks="unit"),
    one("wagtailsnippets:index", SUPERUSERS),
    # Accounts: managers work on member profiles (cms), never on Wagtail's user admin.
    one("wagtailusers_users:index", SUPERUSERS),
    one("wagtailusers_users:edit", SUPERUSERS, r("wagtailusers_users:edit", member_user)),
    one("wagtailusers_groups:index", SUPERUSERS),
    one("wagtailimages:index", TRAINERS),
    one("wagtaildocs:index", TRAINERS),
    one("wagtailmedia:index", TRAINERS),
    one("wagtailmedia:edit", TRAINERS, r("wagtailmedia:edit", video)),
    one("wagtailmedia:media_usage", TRAINERS, r("wagtailmedia:media_usage", video)),
    one("wagtailadmin_choose_page", ADMIN),
    one("wagtailimages_chooser:choose", ADMIN),
    one("wagtaildocs_chooser:choose", ADMIN),
    one("wagtailmedia:chooser", ADMIN),
]


def cases() -> list[tuple[Entry, str, str]]:
    """(entry, role, side) for every case; side "A"/"B", or "-" for a one-URL entry."""
    return [
        (entry, role, side)
        for entry in ENTRIES
        for side in (("A", "B") if entry.sided else ("-",))
        for role in ROLES
    ]
