"""Generated data for the training reports' benchmark (``bench/reports.py``), PostgreSQL only.

    manage.py generate_report_data [--members 100000] [--units 2000] [--courses 1000]
        [--rows 5000000] [--seed 1] [--reset | --drop]

Writes, with ``COPY`` in one transaction:

- a unit tree of ``--units`` units in four levels (root → ~1 % → ~10 % → the rest, about
  1 → 20 → 200 → 1,800), codes ``gen-…``; the root's yearly target 32 h, some districts 40 h,
  some level-3 units 20 h, the rest inherit;
- ``--members`` users ``gen000001``… (unusable password, the Members role) with a profile in
  a unit (97 % in leaves); ``gen000001`` manages the root, ``gen000002`` the first district;
- ``--courses`` live course pages (slugs ``gen-course-…``) under the first course index, each
  with three lessons, every fifth course's third lesson a quiz; the page tree's paths, depth and
  numchild are written as treebeard would (``Page.find_problems()`` is checked at the end);
- course assignments (the root: 2 courses, each district: 2, each level-3 unit: 1) with due
  dates this year and last, and every member's required enrolments, completed on time, late
  or not, plus 0–3 self-enrolments; lesson progress for them; quiz results;
- ``--rows`` live study-hour ledger entries (this year up to today and last year; lecture
  time, course completions, quizzes, attended sessions, corrections).

Foreign keys are not checked row by row during the load (``session_replication_role``), so
the command checks afterwards that no generated row points nowhere. ``--reset`` deletes the
generated rows first (users ``gen<digits>``, units ``gen-…``, pages ``gen-course-…`` and what
hangs from them); ``--drop`` only deletes them.
"""

from __future__ import annotations

import queue
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from wagtail.models import Page

from cms import roles
from cms.models import Unit
from cms.services import roles_ensure
from courses.models import CourseIndexPage, CoursePage, LessonPage, Topic
from exams.quizzes.models import QuizLessonPage

UNIT_PREFIX = "gen-"
COURSE_SLUG_PREFIX = "gen-course-"
TOPIC_PREFIX = "gen-topic-"
USERNAME_RE = "^gen[0-9]{6,}$"
UNUSABLE_PASSWORD = "!generated-report-data"
LESSONS_PER_COURSE = 3
QUIZ_EVERY = 5  # every fifth course ends with a quiz lesson
TOPICS = 10
CHUNK = 5000  # members per COPY batch

# Each member's live ledger hours per year, kept by a trigger on the ledger (exams.hours,
# migration 0004_member_year_totals) when that migration is there: totals and pending deltas.
YEAR_TOTALS, YEAR_DELTAS = "hours_memberyearhours", "hours_memberyearhoursdelta"


def _year_totals_kept() -> bool:
    return YEAR_TOTALS in connection.introspection.table_names()


SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉晨瑶婷"

# ledger sources: (share, code)
SOURCES = [
    (0.70, "lesson_time"),
    (0.10, "attended_session"),
    (0.10, "course_completion"),
    (0.07, "quiz"),
    (0.03, "correction"),
]
LESSON_HOURS = ["0.25", "0.50", "0.75", "1.00", "1.25", "1.50"]
SESSION_HOURS = ["1.00", "2.00", "3.00", "4.00"]
CORRECTION_HOURS = ["-1.00", "-0.50", "0.50"]


@dataclass
class GenUnit:
    id: int
    path: str
    depth: int
    code: str
    name: str
    target: str | None
    parent: int | None  # index in the unit list
    children: int = 0
    assignments: list[tuple[int, int, date]] = field(default_factory=list)  # id, course, due


@dataclass
class GenCourse:
    id: int
    credit: str
    lessons: list[int]
    quiz: int | None


def _b(value: bool) -> str:
    return "t" if value else "f"


def _ts(day: date, hour: int = 4) -> str:
    """A UTC timestamp on ``day`` (04:00 UTC is noon in China: the same local day)."""
    return f"{day.isoformat()} {hour:02d}:00:00+00"


def _copy(cursor, table: str, columns: str, data: bytes) -> None:
    if not data:
        return
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        copy.write(data)


def _ids_reserve(cursor, table: str, count: int) -> int:
    """The first of ``count`` consecutive ids taken from ``table``'s identity sequence."""
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    sequence = cursor.fetchone()[0]
    cursor.execute("SELECT nextval(%s)", [sequence])
    first = cursor.fetchone()[0]
    if count > 1:
        cursor.execute("SELECT setval(%s, %s)", [sequence, first + count - 1])
    return first


def _level_sizes(units: int) -> tuple[int, int, int]:
    """Units at levels 2, 3 and 4 for ``units`` in all, in the proportions 20 : 200 : 1,800."""
    if units < 4:
        raise CommandError("--units must be at least 4 (one per level)")
    level2 = max(1, round(units * 20 / 2021))
    level3 = max(level2, round(units * 200 / 2021))
    return level2, level3, units - 1 - level2 - level3


class Command(BaseCommand):
    help = (
        "Generate members, units, courses, enrolments, progress, quiz results and study-hour "
        "ledger rows for the reports benchmark (PostgreSQL, COPY)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--members", type=int, default=100_000)
        parser.add_argument("--units", type=int, default=2_000)
        parser.add_argument("--courses", type=int, default=1_000)
        parser.add_argument("--rows", type=int, default=5_000_000, help="ledger entries")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--reset", action="store_true", help="delete the generated rows first, then generate"
        )
        parser.add_argument("--drop", action="store_true", help="only delete the generated rows")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError(
                "generate_report_data writes with PostgreSQL's COPY and the benchmark it feeds "
                "measures PostgreSQL: run it with DATABASE_URL=postgres://… "
                f"(this database is {connection.vendor})."
            )
        if options["members"] < 2 or options["courses"] < 1 or options["rows"] < 0:
            raise CommandError("--members ≥ 2, --courses ≥ 1 and --rows ≥ 0, please")
        started = time.monotonic()
        if options["reset"] or options["drop"]:
            self.stdout.write(generated_data_delete())
            self.stdout.write(f"deleted in {time.monotonic() - started:.1f} s")
            if options["drop"]:
                return
        elif Unit.objects.filter(code=f"{UNIT_PREFIX}root").exists():
            raise CommandError("generated data exists already: add --reset to replace it")
        generator = Generator(
            members=options["members"],
            units=options["units"],
            courses=options["courses"],
            rows=options["rows"],
            seed=options["seed"],
            stdout=self.stdout,
        )
        loaded = time.monotonic()
        generator.run()
        self.stdout.write(f"loaded in {time.monotonic() - loaded:.1f} s")
        vacuumed = time.monotonic()
        with connection.cursor() as cursor:
            kept = (YEAR_TOTALS,) if _year_totals_kept() else ()
            for table in (*Generator.TABLES, *kept):
                cursor.execute(f"VACUUM (ANALYZE) {table}")
        self.stdout.write(f"VACUUM ANALYZE in {time.monotonic() - vacuumed:.1f} s")
        checked = time.monotonic()
        problems = generated_data_problems()
        if problems:
            raise CommandError("generated data is inconsistent: " + "; ".join(problems))
        self.stdout.write(
            f"checked (foreign keys, year totals, unit and page trees) in "
            f"{time.monotonic() - checked:.1f} s"
        )
        self.stdout.write(
            f"managers: {generator.manager_root} (root unit {generator.root_code}), "
            f"{generator.manager_branch} (district {generator.branch_code})"
        )
        self.stdout.write(f"total {time.monotonic() - started:.1f} s")


class Generator:
    TABLES = (
        "auth_user",
        "auth_user_groups",
        "cms_unit",
        "cms_memberprofile",
        "wagtailcore_page",
        "courses_coursepage",
        "courses_lessonpage",
        "quizzes_quizlessonpage",
        "courses_courseassignment",
        "courses_enrolment",
        "courses_lessonprogress",
        "quizzes_quizresult",
        "hours_studyhourentry",
    )

    def __init__(self, *, members: int, units: int, courses: int, rows: int, seed: int, stdout):
        self.n_members, self.n_units, self.n_courses, self.n_rows = members, units, courses, rows
        self.seed = seed
        self.stdout = stdout
        self.today = timezone.localdate()
        self.year = self.today.year
        first = date(self.year - 1, 1, 1)
        self.days = [first + timedelta(days=i) for i in range((self.today - first).days + 1)]
        self.day_strings = [(d.isoformat(), str(d.year)) for d in self.days]
        self.this_year_from = self.days.index(date(self.year, 1, 1))
        self.counts: dict[str, int] = {}

    # --- orchestration -------------------------------------------------------------

    def run(self) -> None:
        rng = random.Random(self.seed)
        with transaction.atomic(), connection.cursor() as django_cursor:
            cursor = django_cursor.cursor  # psycopg's, for COPY
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            triggers_off = cursor.fetchone()[0]
            if triggers_off:
                # No per-row triggers during the load: foreign keys are checked afterwards,
                # the ledger's year totals written at the end.
                cursor.execute("SET LOCAL session_replication_role = replica")
            tick = time.monotonic()
            self.units_write(cursor, rng)
            self.courses_write(cursor, rng)
            self.assignments_write(cursor, rng)
            self.stdout.write(
                f"  {len(self.units)} units, {len(self.courses)} courses, "
                f"{self.counts['lessons']} lessons, {self.counts['assignments']} assignments "
                f"({time.monotonic() - tick:.1f} s)"
            )
            tick = time.monotonic()
            self.members_write(cursor, rng)
            self.stdout.write(f"  {self.n_members} members ({time.monotonic() - tick:.1f} s)")
            tick = time.monotonic()
            self.activity_write(cursor)
            self.stdout.write(
                f"  {self.counts['enrolments']} enrolments, {self.counts['progress']} lesson "
                f"progress, {self.counts['quiz_results']} quiz results, "
                f"{self.counts['ledger']} ledger entries ({time.monotonic() - tick:.1f} s)"
            )
            if triggers_off and _year_totals_kept():
                tick = time.monotonic()
                self.year_totals_write(cursor)
                self.stdout.write(f"  year totals ({time.monotonic() - tick:.1f} s)")
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")

    def year_totals_write(self, cursor) -> None:
        """The generated members' year totals, as migration hours 0004 fills them: its
        trigger did not fire for the rows loaded under ``session_replication_role``."""
        cursor.execute(
            f"INSERT INTO {YEAR_TOTALS} (user_id, year, hours) "
            "SELECT user_id, year, SUM(hours) FROM hours_studyhourentry "
            "WHERE user_id BETWEEN %s AND %s AND superseded_by_id IS NULL "
            "GROUP BY user_id, year "
            "ON CONFLICT (user_id, year) "
            f"DO UPDATE SET hours = {YEAR_TOTALS}.hours + excluded.hours",
            [self.first_user_id, self.first_user_id + self.n_members - 1],
        )

    # --- units ---------------------------------------------------------------------

    def units_write(self, cursor, rng: random.Random) -> None:
        root = Unit.add_root(
            instance=Unit(name="生成数据·市委", code=f"{UNIT_PREFIX}root", yearly_target_hours=32)
        )
        self.root_code = root.code
        level2, level3, level4 = _level_sizes(self.n_units)
        first_id = _ids_reserve(cursor, "cms_unit", self.n_units - 1)
        units = [GenUnit(root.pk, root.path, 1, root.code, root.name, "32", None)]
        self.level_of: list[list[int]] = [[0]]
        for depth, count, label in ((2, level2, "区"), (3, level3, "街道"), (4, level4, "支部")):
            parents = self.level_of[-1]
            indexes = []
            for i in range(count):
                parent_index = parents[i % len(parents)]
                parent = units[parent_index]
                parent.children += 1
                step = parent.children
                target = None
                if depth == 2 and step % 7 == 3:
                    target = "40"
                elif depth == 3 and i % 5 == 4:
                    target = "20"
                units.append(
                    GenUnit(
                        id=first_id + len(units) - 1,
                        path=Unit._get_path(parent.path, depth, step),
                        depth=depth,
                        code=f"{parent.code}-{step:04d}".replace("-root-", "-", 1),
                        name=f"{parent.name}·{label}{step:02d}"
                        if depth > 2
                        else f"{label}{step:02d}",
                        target=target,
                        parent=parent_index,
                    )
                )
                indexes.append(len(units) - 1)
            self.level_of.append(indexes)
        root.numchild = units[0].children
        root.save(update_fields=["numchild"])
        lines = [
            f"{u.id}\t{u.path}\t{u.depth}\t{u.children}\t{u.name}\t{u.code}\t"
            f"{u.target if u.target is not None else chr(92) + 'N'}\n"
            for u in units[1:]
        ]
        _copy(
            cursor,
            "cms_unit",
            "id, path, depth, numchild, name, code, yearly_target_hours",
            "".join(lines).encode(),
        )
        self.units = units
        self.branch_code = units[self.level_of[1][0]].code

    # --- courses -------------------------------------------------------------------

    def courses_write(self, cursor, rng: random.Random) -> None:
        index = CourseIndexPage.objects.order_by("path").first()
        if index is None:
            raise CommandError("no course index page: run migrate first")
        last = (
            Page.objects.filter(path__startswith=index.path, depth=index.depth + 1)
            .order_by("-path")
            .values_list("path", flat=True)
            .first()
        )
        first_step = Page._str2int(last[-Page.steplen :]) + 1 if last else 1
        topics = Topic.objects.bulk_create(
            Topic(name=f"{TOPIC_PREFIX}{i + 1:02d}", slug=f"{TOPIC_PREFIX}{i + 1:02d}")
            for i in range(TOPICS)
        )
        types = {
            model: ContentType.objects.get_for_model(model).pk
            for model in (CoursePage, LessonPage, QuizLessonPage)
        }
        quizzes = (self.n_courses + QUIZ_EVERY - 1) // QUIZ_EVERY
        pages = self.n_courses * (1 + LESSONS_PER_COURSE)
        next_id = _ids_reserve(cursor, "wagtailcore_page", pages)
        published = _ts(date(self.year - 1, 1, 1))
        page_lines, course_lines, lesson_lines, quiz_lines = [], [], [], []

        def page(pid, path, depth, numchild, title, slug, url_path, content_type):
            page_lines.append(
                f"{pid}\t{path}\t{depth}\t{numchild}\t{title}\t{slug}\tt\tf\t{url_path}\t\tf\t\t"
                f"f\t{content_type}\tf\t{title}\t{uuid.UUID(int=rng.getrandbits(128))}\t"
                f"{index.locale_id}\t{published}\t{published}\n"
            )

        self.courses: list[GenCourse] = []
        for i in range(self.n_courses):
            course_id = next_id
            next_id += 1
            slug = f"{COURSE_SLUG_PREFIX}{i + 1:04d}"
            path = Page._get_path(index.path, index.depth + 1, first_step + i)
            url = f"{index.url_path}{slug}/"
            page(
                course_id,
                path,
                index.depth + 1,
                LESSONS_PER_COURSE,
                f"生成课程 {i + 1:04d}",
                slug,
                url,
                types[CoursePage],
            )
            credit = rng.choice(["1.0", "1.0", "2.0", "2.0", "3.0", "4.0"])
            course_lines.append(
                f"{course_id}\t\t{credit}\t{int(float(credit) * 45)}\tt\tf\tf\t\t"
                f"{topics[i % TOPICS].pk}\n"
            )
            lessons, quiz = [], None
            for j in range(LESSONS_PER_COURSE):
                lesson_id = next_id
                next_id += 1
                is_quiz = j == LESSONS_PER_COURSE - 1 and i % QUIZ_EVERY == 0
                lslug = f"quiz-{j + 1}" if is_quiz else f"lesson-{j + 1}"
                page(
                    lesson_id,
                    Page._get_path(path, index.depth + 2, j + 1),
                    index.depth + 2,
                    0,
                    f"第{j + 1}课" if not is_quiz else "测验",
                    lslug,
                    f"{url}{lslug}/",
                    types[QuizLessonPage if is_quiz else LessonPage],
                )
                minutes = 15 if is_quiz else int(float(credit) * 45 / LESSONS_PER_COURSE) + 1
                lesson_lines.append(
                    f"{lesson_id}\t[]\tt\t{minutes}\t{'quiz' if is_quiz else 'watch_log'}\n"
                )
                if is_quiz:
                    quiz = lesson_id
                    quiz_lines.append(
                        f"{lesson_id}\t30\t0\thighest\t60.00\t1.00\tf\tt\t0\tfree\t"
                        "immediately\tafter_close\timmediately\n"
                    )
                lessons.append(lesson_id)
            self.courses.append(GenCourse(course_id, credit, lessons, quiz))
        _copy(
            cursor,
            "wagtailcore_page",
            "id, path, depth, numchild, title, slug, live, has_unpublished_changes, url_path, "
            "seo_title, show_in_menus, search_description, expired, content_type_id, locked, "
            "draft_title, translation_key, locale_id, first_published_at, last_published_at",
            "".join(page_lines).encode(),
        )
        _copy(
            cursor,
            "courses_coursepage",
            "page_ptr_id, summary, credit_hours, estimated_minutes, audience_everyone, "
            "enforce_order, allow_download, search_terms, topic_id",
            "".join(course_lines).encode(),
        )
        _copy(
            cursor,
            "courses_lessonpage",
            "page_ptr_id, body, required_for_completion, estimated_minutes, completion",
            "".join(lesson_lines).encode(),
        )
        _copy(
            cursor,
            "quizzes_quizlessonpage",
            "lessonpage_ptr_id, time_limit_minutes, attempts_allowed, grading_method, "
            "pass_percent, credit_hours, shuffle_questions, shuffle_options, "
            "questions_per_page, navigation, review_score, review_answers, review_feedback",
            "".join(quiz_lines).encode(),
        )
        cursor.execute(
            "UPDATE wagtailcore_page SET numchild = numchild + %s WHERE id = %s",
            [self.n_courses, index.pk],
        )
        self.counts["lessons"] = self.n_courses * LESSONS_PER_COURSE
        self.counts["quizzes"] = quizzes

    # --- assignments ---------------------------------------------------------------

    def assignments_write(self, cursor, rng: random.Random) -> None:
        """Required courses: the root's 2, each district's 2, each level-3 unit's 1."""
        y = self.year
        dues = {
            1: [date(y, 3, 31), date(y, 12, 15)],
            2: [date(y, 6, 30), date(y, 10, 31), date(y - 1, 9, 30)],
            3: [date(y, 4, 30), date(y, 12, 31)],
        }
        per_unit = {1: 2, 2: 2, 3: 1}
        plan = []
        for depth, level in ((1, self.level_of[0]), (2, self.level_of[1]), (3, self.level_of[2])):
            for unit_index in level:
                courses = rng.sample(
                    range(len(self.courses)), min(per_unit[depth], len(self.courses))
                )
                for k, course in enumerate(courses):
                    due = dues[depth][k] if depth == 1 else rng.choice(dues[depth])
                    plan.append((unit_index, course, due))
        first = _ids_reserve(cursor, "courses_courseassignment", len(plan))
        lines = []
        for n, (unit_index, course, due) in enumerate(plan):
            self.units[unit_index].assignments.append((first + n, course, due))
            lines.append(
                f"{first + n}\t{due.isoformat()}\t{_ts(due - timedelta(days=90))}\t"
                f"{self.units[unit_index].id}\t{self.courses[course].id}\n"
            )
        _copy(
            cursor,
            "courses_courseassignment",
            "id, due_date, created_at, unit_id, course_id",
            "".join(lines).encode(),
        )
        self.counts["assignments"] = len(plan)

    # --- members -------------------------------------------------------------------

    def members_write(self, cursor, rng: random.Random) -> None:
        groups = roles_ensure()
        leaves, middles, districts = self.level_of[3], self.level_of[2], self.level_of[1]
        first = _ids_reserve(cursor, "auth_user", self.n_members)
        self.first_user_id = first
        self.member_units: list[int] = []
        users, profiles, memberships = [], [], []
        joined = _ts(date(self.year - 2, 12, 1))
        members_group, managers_group = groups[roles.MEMBERS].pk, groups[roles.MANAGERS].pk
        for n in range(self.n_members):
            uid = first + n
            if n == 0:
                unit_index = 0
            elif n == 1:
                unit_index = districts[0]
            else:
                r = rng.random()
                pool = leaves if r < 0.97 else middles if r < 0.99 else districts
                unit_index = rng.choice(pool or middles or districts)
            self.member_units.append(unit_index)
            name = (
                rng.choice(SURNAMES)
                + rng.choice(GIVEN)
                + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
            )
            username = f"gen{n + 1:06d}"
            users.append(f"{uid}\t{UNUSABLE_PASSWORD}\tf\t{username}\t{name}\t\t\tf\tt\t{joined}\n")
            profiles.append(f"{name}\t\t{uid}\t{self.units[unit_index].id}\n")
            memberships.append(f"{uid}\t{managers_group if n < 2 else members_group}\n")
        self.manager_root, self.manager_branch = "gen000001", "gen000002"
        _copy(
            cursor,
            "auth_user",
            "id, password, is_superuser, username, first_name, last_name, email, is_staff, "
            "is_active, date_joined",
            "".join(users).encode(),
        )
        _copy(
            cursor,
            "cms_memberprofile",
            "full_name, phone, user_id, unit_id",
            "".join(profiles).encode(),
        )
        _copy(cursor, "auth_user_groups", "user_id, group_id", "".join(memberships).encode())
        # The members of a unit inherit the required courses of the unit and its ancestors.
        self.unit_required: dict[int, list[tuple[int, int, date]]] = {}

    def _required(self, unit_index: int) -> list[tuple[int, int, date]]:
        if unit_index not in self.unit_required:
            unit = self.units[unit_index]
            inherited = self._required(unit.parent) if unit.parent is not None else []
            self.unit_required[unit_index] = inherited + unit.assignments
        return self.unit_required[unit_index]

    # --- enrolments, progress, quiz results, ledger --------------------------------

    def activity_write(self, cursor) -> None:
        rng = random.Random(self.seed * 7919 + 1)
        # each member's share of the ledger: 5 % inactive, the rest gamma-distributed
        weights = [
            0.0 if rng.random() < 0.05 else rng.gammavariate(2.0, 1.0)
            for _ in range(self.n_members)
        ]
        total = sum(weights) or 1.0
        counts = [int(self.n_rows * w / total) for w in weights]
        short = self.n_rows - sum(counts)
        active = [i for i, w in enumerate(weights) if w > 0] or list(range(self.n_members))
        for i in rng.choices(active, k=short):
            counts[i] += 1
        for key in ("enrolments", "progress", "quiz_results", "ledger"):
            self.counts[key] = 0
        chunks: queue.Queue = queue.Queue(maxsize=2)
        failure: list[BaseException] = []

        def produce() -> None:
            try:
                for start in range(0, self.n_members, CHUNK):
                    chunks.put(self._chunk(rng, start, min(start + CHUNK, self.n_members), counts))
            except BaseException as exc:  # reported by the consumer
                failure.append(exc)
            finally:
                chunks.put(None)

        producer = threading.Thread(target=produce, name="generate_report_data", daemon=True)
        producer.start()
        for chunk in iter(chunks.get, None):
            enrolments, progress, results, ledger = chunk
            _copy(
                cursor,
                "courses_enrolment",
                "source, enrolled_at, due_date, completed_at, awarded_hours, assignment_id, "
                "course_id, user_id",
                enrolments,
            )
            _copy(
                cursor,
                "courses_lessonprogress",
                "state, started_at, completed_at, last_position_seconds, updated_at, lesson_id, "
                "user_id",
                progress,
            )
            _copy(
                cursor,
                "quizzes_quizresult",
                "percent, passed, first_passed_at, awarded_hours, attempts, updated_at, quiz_id, "
                "user_id",
                results,
            )
            _copy(
                cursor,
                "hours_studyhourentry",
                "date, year, hours, source, key, rule_code, rule_params, note, created_at, "
                "course_id, lesson_id, user_id",
                ledger,
            )
        producer.join()
        if failure:
            raise failure[0]

    def _chunk(
        self, rng: random.Random, start: int, end: int, counts: list[int]
    ) -> tuple[bytes, bytes, bytes, bytes]:
        today = self.today
        days, day_strings = self.days, self.day_strings
        n_days, this_year_from = len(days), self.this_year_from
        today_index = n_days - 1
        courses = self.courses
        quiz_courses = [c for c in courses if c.quiz is not None]
        enrolments, progress, results = [], [], []
        by_day: list[list[str]] = [[] for _ in days]
        source_cut = []
        acc = 0.0
        for share, code in SOURCES:
            acc += share
            source_cut.append((acc, code))
        N = "\\N"
        for n in range(start, end):
            uid = self.first_user_id + n
            unit_index = self.member_units[n]
            mine: list[GenCourse] = []
            seen: set[int] = set()
            # required courses
            for assignment_id, course_index, due in self._required(unit_index):
                if course_index in seen:
                    continue
                seen.add(course_index)
                course = courses[course_index]
                mine.append(course)
                enrolled = due - timedelta(days=90)
                r = rng.random()
                if due < today:
                    if r < 0.6:
                        done = due - timedelta(days=rng.randint(0, 60))
                    elif r < 0.75:
                        done = min(due + timedelta(days=rng.randint(1, 60)), today)
                    else:
                        done = None
                else:
                    done = (
                        enrolled + timedelta(days=rng.randint(0, max(0, (today - enrolled).days)))
                        if r < 0.35
                        else None
                    )
                if done is not None and done < enrolled:
                    done = enrolled
                enrolments.append(
                    f"assignment\t{_ts(enrolled)}\t{due.isoformat()}\t"
                    f"{_ts(done) if done else N}\t{course.credit if done else N}\t"
                    f"{assignment_id}\t{course.id}\t{uid}\n"
                )
                self._progress(rng, uid, course, enrolled, done, progress, results)
            # self-enrolments
            for _ in range(rng.randint(0, 3)):
                course_index = rng.randrange(len(courses))
                if course_index in seen:
                    continue
                seen.add(course_index)
                course = courses[course_index]
                mine.append(course)
                enrolled = days[rng.randrange(n_days)]
                done = None
                if rng.random() < 0.5:
                    done = enrolled + timedelta(days=rng.randint(0, 60))
                    if done > today:
                        done = None
                enrolments.append(
                    f"self\t{_ts(enrolled)}\t{N}\t{_ts(done) if done else N}\t"
                    f"{course.credit if done else N}\t{N}\t{course.id}\t{uid}\n"
                )
                self._progress(rng, uid, course, enrolled, done, progress, results)
            # ledger
            my_lessons = [lesson for c in mine for lesson in c.lessons] or courses[0].lessons
            my_quizzes = [c.quiz for c in mine if c.quiz is not None]
            if not my_quizzes and quiz_courses:
                my_quizzes = [quiz_courses[0].quiz]
            for k in range(counts[n]):
                if rng.random() < 0.55:
                    d = rng.randint(this_year_from, today_index)
                else:
                    d = rng.randrange(this_year_from)
                r = rng.random()
                source = next(code for cut, code in source_cut if r < cut)
                course_ref = lesson_ref = N
                note = ""
                if source == "lesson_time":
                    hours = rng.choice(LESSON_HOURS)
                    lesson_ref = rng.choice(my_lessons)
                elif source == "course_completion":
                    course = rng.choice(mine) if mine else courses[rng.randrange(len(courses))]
                    hours, course_ref = course.credit + "0", course.id
                elif source == "quiz" and my_quizzes:
                    hours, lesson_ref = "1.00", rng.choice(my_quizzes)
                elif source == "correction":
                    hours, note = rng.choice(CORRECTION_HOURS), "generated correction"
                else:
                    source, hours = "attended_session", rng.choice(SESSION_HOURS)
                day, year = day_strings[d]
                by_day[d].append(
                    f"{day}\t{year}\t{hours}\t{source}\tgen:{uid}:{k}\tgen\t{{}}\t{note}\t"
                    f"{day} 04:00:00+00\t{course_ref}\t{lesson_ref}\t{uid}\n"
                )
        self.counts["enrolments"] += len(enrolments)
        self.counts["progress"] += len(progress)
        self.counts["quiz_results"] += len(results)
        ledger = "".join(line for lines in by_day for line in lines)
        self.counts["ledger"] += sum(len(lines) for lines in by_day)
        return (
            "".join(enrolments).encode(),
            "".join(progress).encode(),
            "".join(results).encode(),
            ledger.encode(),
        )

    def _progress(self, rng, uid, course, enrolled, done, progress, results) -> None:
        """Lesson progress of one enrolment, and the quiz result when its quiz was reached."""
        N = "\\N"
        lessons = course.lessons
        if done is not None:
            reached = len(lessons)
        elif rng.random() < 0.7:
            reached = rng.randrange(len(lessons))  # lessons done before the one in progress
        else:
            return
        started = _ts(enrolled, 2)
        for j, lesson in enumerate(lessons):
            if j < reached:
                finished = _ts(done or min(enrolled + timedelta(days=j), self.today), 3)
                progress.append(f"done\t{started}\t{finished}\t0\t{finished}\t{lesson}\t{uid}\n")
            elif j == reached:
                progress.append(f"in_progress\t{started}\t{N}\t120.5\t{started}\t{lesson}\t{uid}\n")
                break
        if course.quiz is None:
            return
        if done is not None:
            percent = rng.randint(60, 100)
            at = _ts(done)
            results.append(
                f"{percent}.00\tt\t{at}\t1.00\t{rng.randint(1, 2)}\t{at}\t{course.quiz}\t{uid}\n"
            )
        elif reached == len(lessons) - 1 and rng.random() < 0.5:
            at = _ts(min(enrolled + timedelta(days=30), self.today))
            percent, attempts = rng.randint(10, 59), rng.randint(1, 3)
            results.append(f"{percent}.00\tf\t{N}\t0.00\t{attempts}\t{at}\t{course.quiz}\t{uid}\n")


# --- deleting and checking ----------------------------------------------------------------

GEN_USERS = f"SELECT id FROM auth_user WHERE username ~ '{USERNAME_RE}'"
GEN_UNITS = f"SELECT id FROM cms_unit WHERE code LIKE '{UNIT_PREFIX}%'"
GEN_COURSES = (
    "SELECT p.id, p.path FROM wagtailcore_page p JOIN courses_coursepage c ON c.page_ptr_id = p.id "
    f"WHERE p.slug LIKE '{COURSE_SLUG_PREFIX}%'"
)


def generated_data_delete() -> str:
    """Delete every generated row (and what points at it); one transaction."""
    done = []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE gen_pages ON COMMIT DROP AS SELECT p.id FROM wagtailcore_page p "
            f"JOIN ({GEN_COURSES}) c ON p.path LIKE c.path || '%'"
        )
        cursor.execute(f"CREATE TEMP TABLE gen_users ON COMMIT DROP AS {GEN_USERS}")
        cursor.execute("ALTER TABLE gen_pages ADD PRIMARY KEY (id)")
        cursor.execute("ALTER TABLE gen_users ADD PRIMARY KEY (id)")
        cursor.execute("ANALYZE gen_pages")
        cursor.execute("ANALYZE gen_users")
        cursor.execute("SELECT min(id), max(id), count(*) FROM gen_users")
        low, high, n_users = cursor.fetchone()
        contiguous = n_users and high - low + 1 == n_users
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        superuser = cursor.fetchone()[0]
        for table, user_col, page_cols in (
            ("hours_studyhourentry", "user_id", ("course_id", "lesson_id")),
            ("quizzes_quizresult", "user_id", ("quiz_id",)),
            ("courses_lessonprogress", "user_id", ("lesson_id",)),
            ("courses_enrolment", "user_id", ("course_id",)),
        ):
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")
            if not cursor.fetchone()[0]:
                continue
            if contiguous:
                # Nothing but generated members' rows (two index probes): TRUNCATE is instant.
                cursor.execute(
                    f"SELECT EXISTS (SELECT 1 FROM {table} WHERE {user_col} < %s) "
                    f"OR EXISTS (SELECT 1 FROM {table} WHERE {user_col} > %s)",
                    [low, high],
                )
                if not cursor.fetchone()[0]:
                    cursor.execute(f"TRUNCATE {table}")
                    done.append(f"{table}: truncated")
                    continue
            if superuser:  # the generated members' rows without per-row triggers (see below)
                cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(f"DELETE FROM {table} WHERE {user_col} IN (SELECT id FROM gen_users)")
            deleted = cursor.rowcount
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")
            for col in page_cols:  # other members' rows pointing at generated pages
                cursor.execute(f"DELETE FROM {table} WHERE {col} IN (SELECT id FROM gen_pages)")
                deleted += cursor.rowcount
            done.append(f"{table}: {deleted}")
        if _year_totals_kept():
            # Every ledger row of the generated members is gone: so are their year totals
            # (TRUNCATE and the replica role skipped the ledger's trigger).
            for table in (YEAR_TOTALS, YEAR_DELTAS):
                cursor.execute(f"DELETE FROM {table} WHERE user_id IN (SELECT id FROM gen_users)")
        cursor.execute(
            "DELETE FROM courses_courseassignment WHERE course_id IN (SELECT id FROM gen_pages) "
            f"OR unit_id IN ({GEN_UNITS})"
        )
        done.append(f"courses_courseassignment: {cursor.rowcount}")
        for table in ("auth_user_groups", "cms_memberprofile"):
            cursor.execute(f"DELETE FROM {table} WHERE user_id IN (SELECT id FROM gen_users)")
            done.append(f"{table}: {cursor.rowcount}")
        cursor.execute("DELETE FROM auth_user WHERE id IN (SELECT id FROM gen_users)")
        done.append(f"auth_user: {cursor.rowcount}")
        for table, col in (
            ("quizzes_quizlessonpage", "lessonpage_ptr_id"),
            ("courses_lessonpage", "page_ptr_id"),
            ("courses_coursepage", "page_ptr_id"),
            ("wagtailcore_page", "id"),
        ):
            cursor.execute(f"DELETE FROM {table} WHERE {col} IN (SELECT id FROM gen_pages)")
            if table == "wagtailcore_page":
                done.append(f"pages: {cursor.rowcount}")
        cursor.execute(f"DELETE FROM cms_unit WHERE id IN ({GEN_UNITS})")
        done.append(f"cms_unit: {cursor.rowcount}")
        cursor.execute(f"DELETE FROM courses_topic WHERE slug LIKE '{TOPIC_PREFIX}%'")
    # the course indexes' numchild, as treebeard counts it
    for index in CourseIndexPage.objects.all():
        Page.objects.filter(pk=index.pk).update(
            numchild=Page.objects.filter(path__startswith=index.path, depth=index.depth + 1).count()
        )
    return "deleted: " + ", ".join(done)


# (table, column, referenced table, its key) of the rows written without per-row foreign-key checks
REFERENCES = [
    ("hours_studyhourentry", "user_id", "auth_user", "id"),
    ("hours_studyhourentry", "course_id", "courses_coursepage", "page_ptr_id"),
    ("hours_studyhourentry", "lesson_id", "courses_lessonpage", "page_ptr_id"),
    ("courses_enrolment", "user_id", "auth_user", "id"),
    ("courses_enrolment", "course_id", "courses_coursepage", "page_ptr_id"),
    ("courses_enrolment", "assignment_id", "courses_courseassignment", "id"),
    ("courses_lessonprogress", "user_id", "auth_user", "id"),
    ("courses_lessonprogress", "lesson_id", "courses_lessonpage", "page_ptr_id"),
    ("quizzes_quizresult", "user_id", "auth_user", "id"),
    ("quizzes_quizresult", "quiz_id", "quizzes_quizlessonpage", "lessonpage_ptr_id"),
    ("courses_courseassignment", "unit_id", "cms_unit", "id"),
    ("courses_courseassignment", "course_id", "courses_coursepage", "page_ptr_id"),
    ("cms_memberprofile", "user_id", "auth_user", "id"),
    ("cms_memberprofile", "unit_id", "cms_unit", "id"),
    ("auth_user_groups", "user_id", "auth_user", "id"),
    ("courses_coursepage", "page_ptr_id", "wagtailcore_page", "id"),
    ("courses_coursepage", "topic_id", "courses_topic", "id"),
    ("courses_lessonpage", "page_ptr_id", "wagtailcore_page", "id"),
    ("quizzes_quizlessonpage", "lessonpage_ptr_id", "courses_lessonpage", "page_ptr_id"),
]


def generated_data_problems() -> list[str]:
    """Rows pointing nowhere, year totals that differ from the ledger, and the problems
    treebeard finds in the two trees."""
    problems = []
    with connection.cursor() as cursor:
        for table, column, target, key in REFERENCES:
            cursor.execute(
                f"SELECT count(*) FROM {table} t WHERE t.{column} IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {target} r WHERE r.{key} = t.{column})"
            )
            dangling = cursor.fetchone()[0]
            if dangling:
                problems.append(f"{dangling} {table}.{column} point nowhere")
        if _year_totals_kept():
            cursor.execute(
                "SELECT count(*) FROM (SELECT user_id, year, SUM(hours) AS h "
                "FROM hours_studyhourentry WHERE superseded_by_id IS NULL "
                f"AND user_id IN ({GEN_USERS}) GROUP BY 1, 2) l "
                "FULL JOIN (SELECT user_id, year, SUM(hours) AS h FROM ("
                f"SELECT user_id, year, hours FROM {YEAR_TOTALS} UNION ALL "
                f"SELECT user_id, year, hours FROM {YEAR_DELTAS}) k "
                f"WHERE user_id IN ({GEN_USERS}) GROUP BY 1, 2) t USING (user_id, year) "
                "WHERE COALESCE(l.h, 0) <> COALESCE(t.h, 0)"
            )
            differ = cursor.fetchone()[0]
            if differ:
                problems.append(f"{differ} generated members' year totals differ from the ledger")
    root = Unit.objects.filter(code=f"{UNIT_PREFIX}root").first()
    if root is not None and any(Unit.find_problems(parent=root)):
        problems.append(f"unit tree: {Unit.find_problems(parent=root)}")
    for index in CourseIndexPage.objects.all():
        found = Page.find_problems(parent=index)
        if any(found):
            problems.append(f"page tree under {index.url_path}: {found}")
    return problems
