"""``exams.quizzes.importing``: preview, commit, export — with the real parsers.

The files here are also used by ``test_admin_import.py`` and ``test_commands.py``.
"""

import dataclasses
import io
import threading
from datetime import UTC, datetime

import pytest
from django.utils import translation
from wagtail.search.backends import get_search_backend

from exams.quizzes import spec as qspec
from exams.quizzes.formats.base import ParsedQuestion
from exams.quizzes.importing import (
    MAX_FILE_BYTES,
    ImportPreview,
    ImportRefused,
    category_by_path,
    export_category,
    import_commit,
    import_preview,
    import_upload_confirm,
    import_upload_keep,
)
from exams.quizzes.models import Question, QuestionCategory, QuestionVersion

SAFETY = "安全生产 Safety"
FIRE = "消防 Fire"
POWER = "用电 Electricity"

GIFT_BANK = f"""// A small workplace-safety bank in GIFT.
$CATEGORY: $course$/top/{SAFETY}/{FIRE}

::fire-call::发生火灾时应拨打哪个电话？{{=119 ~110 ~120}}

::extinguishers::Which of these put out a small wood fire? {{~%50%Water ~%50%Foam ~%-100%Petrol}}

::smoke::Smoke rises.{{T}}

::colour::What colour is a fire extinguisher? {{=red =红色}}

::minutes::How many minutes may a fire drill take at most? {{#5:1}}

::match::Match the words. {{=Water -> 水 =Fire -> 火 =Earth -> 土}}

::drill::Describe the last fire drill you took part in. {{}}

$CATEGORY: $course$/top/{SAFETY}/{POWER}

::power-off::Switch the power off before a repair.{{TRUE}}
""".encode()

GIFT_BANK_TYPES = {
    qspec.SINGLE: 1,
    qspec.MULTI: 1,
    qspec.TRUEFALSE: 2,
    qspec.SHORTANSWER: 1,
    qspec.NUMERICAL: 1,
    qspec.MATCHING: 1,
    qspec.ESSAY: 1,
}

#: Line 5 holds a single-choice question without a right option.
GIFT_WITH_A_BAD_QUESTION = b"""::good1::Two plus two? {=4 ~5}

::good2::Three plus three? {=6 ~7}

::bad::No option is right here {~a ~b}

::good3::Is ice cold?{T}
"""
BAD_LINE = 5

AIKEN_BANK = """安全帽的主要作用是？
A. 装饰
B. 防止头部受伤
C. 保暖
ANSWER: B

Which number is even?
A) 3
B) 4
ANSWER: B
""".encode()

#: A Moodle "calculated" question (no such type here) after a good one; it starts on line 11.
MOODLE_XML_WITH_CALCULATED = b"""<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="category"><category><text>$course$/top/XML</text></category></question>
  <question type="multichoice">
    <name><text>m1</text></name>
    <questiontext format="html"><text><![CDATA[<p>Pick one</p>]]></text></questiontext>
    <single>true</single>
    <answer fraction="100" format="html"><text>Right</text></answer>
    <answer fraction="0" format="html"><text>Wrong</text></answer>
  </question>
  <question type="calculated">
    <name><text>c1</text></name>
    <questiontext format="html"><text>{a} + {b} = ?</text></questiontext>
    <answer fraction="100"><text>{a} + {b}</text></answer>
  </question>
</quiz>
"""
CALCULATED_LINE = 11

SCRIPT_GIFT = (
    b"::xss::[html]<p>Which is safe?<script>alert(1)</script>"
    b'<img src="x" onerror="alert(2)"></p>{=This one ~That one}\n'
)


def gift_questions(count: int) -> bytes:
    """``count`` single-choice questions in one GIFT file."""
    return "".join(f"::q{n}::Question number {n}? {{=yes ~no}}\n\n" for n in range(count)).encode()


def xlsx_bytes(rows: list[list]) -> bytes:
    """A workbook with ``rows`` on its first sheet (the first row is the header)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def table_counts() -> tuple[int, int, int]:
    return (
        Question.objects.count(),
        QuestionVersion.objects.count(),
        QuestionCategory.objects.count(),
    )


def stored_specs(category: QuestionCategory | None = None) -> list[dict]:
    questions = Question.objects.select_related("current_version").order_by("pk")
    if category is not None:
        questions = questions.filter(category=category)
    return [question.current_version.spec for question in questions]


@pytest.fixture(autouse=True)
def _english():
    """Messages in English, so that the tests read the source strings."""
    with translation.override("en"):
        yield


@pytest.fixture
def trainer(db):
    from tests.factories import UserFactory

    return UserFactory(username="importer")


class TestPreview:
    def test_counts_types_and_categories_and_writes_nothing(self, db):
        before = table_counts()

        preview = import_preview(filename="bank.gift.txt", data=GIFT_BANK)

        assert table_counts() == before == (0, 0, 0)
        assert preview.fmt == "gift"
        assert preview.by_type == GIFT_BANK_TYPES
        assert preview.by_category == {f"{SAFETY} / {FIRE}": 7, f"{SAFETY} / {POWER}": 1}
        assert preview.problems == ()

    def test_a_bad_question_is_a_problem_with_its_line_and_the_rest_is_kept(self, db):
        preview = import_preview(filename="mixed.txt", data=GIFT_WITH_A_BAD_QUESTION)

        assert len(preview.questions) == 3
        assert [problem.line for problem in preview.problems] == [BAD_LINE]
        assert preview.problems[0].message

    def test_aiken_detected_and_read(self, db):
        preview = import_preview(filename="bank.txt", data=AIKEN_BANK)

        assert preview.fmt == "aiken"
        assert preview.by_type == {qspec.SINGLE: 2}
        assert preview.by_category == {"": 2}

    def test_unsupported_types_are_listed_with_their_line(self, db):
        preview = import_preview(filename="moodle.xml", data=MOODLE_XML_WITH_CALCULATED)

        assert preview.fmt == "moodlexml"
        assert preview.unsupported == {"calculated": 1}
        assert [(p.line, p.qtype) for p in preview.problems] == [(CALCULATED_LINE, "calculated")]
        assert preview.by_type == {qspec.SINGLE: 1}

    def test_gb18030_gift_reads_as_utf8_does(self, db):
        utf8 = import_preview(filename="a.txt", data=GIFT_BANK)

        chinese_windows = import_preview(
            filename="a.txt", data=GIFT_BANK.decode().encode("gb18030")
        )

        assert [q.spec for q in chinese_windows.questions] == [q.spec for q in utf8.questions]
        assert "发生火灾时应拨打哪个电话" in chinese_windows.questions[0].spec.text

    def test_gb18030_csv_of_the_template_columns_is_read(self, db):
        template_sheet = _template_header()
        row = _template_row(template_sheet, qtype="单选", text="灭火器压力表指针应在哪个区域？")
        csv_text = ",".join(template_sheet) + "\n" + ",".join(row) + "\n"

        preview = import_preview(filename="题库.csv", data=csv_text.encode("gb18030"))

        assert preview.by_type == {qspec.SINGLE: 1}
        assert "灭火器压力表指针应在哪个区域" in preview.questions[0].spec.text

    @pytest.mark.parametrize(
        ("data", "fmt", "message"),
        [
            (b"", None, "The file is empty."),
            (b"  \n\t\n", None, "The file is empty."),
            (b"// only a comment\n", "gift", "No GIFT questions found"),
        ],
    )
    def test_refused_files(self, db, data, fmt, message):
        with pytest.raises(ImportRefused, match=message) as refused:
            import_preview(filename="x.txt", data=data, fmt=fmt)

        assert refused.value.status == 400

    def test_a_file_that_is_too_big_is_refused_before_parsing(self, db):
        with pytest.raises(ImportRefused, match="larger than 20 MB"):
            import_preview(filename="big.txt", data=b"x" * (MAX_FILE_BYTES + 1))

    def test_a_file_not_in_the_claimed_format_is_refused(self, db):
        with pytest.raises(ImportRefused, match="not a well-formed XML file") as refused:
            import_preview(filename="bank.xml", data=GIFT_BANK, fmt="moodlexml")

        assert refused.value.status == 400

    def test_truncated_xml_is_refused(self, db):
        cut = MOODLE_XML_WITH_CALCULATED[: len(MOODLE_XML_WITH_CALCULATED) // 2]

        with pytest.raises(ImportRefused, match="it may be truncated") as refused:
            import_preview(filename="cut.xml", data=cut)

        assert refused.value.status == 400

    def test_truncated_workbook_is_refused(self, db):
        header = _template_header()
        whole = xlsx_bytes([header, _template_row(header, qtype="单选", text="Q?")])

        with pytest.raises(ImportRefused, match="damaged or truncated") as refused:
            import_preview(filename="cut.xlsx", data=whole[: len(whole) // 2])

        assert refused.value.status == 400

    def test_a_file_with_only_bad_questions_is_refused_with_its_problems(self, db):
        with pytest.raises(ImportRefused, match="No question in this file") as refused:
            import_preview(filename="bad.txt", data=b"::bad::None right {~a ~b}\n")

        assert [problem.line for problem in refused.value.problems] == [1]

    def test_an_unknown_format_name_is_refused(self, db):
        with pytest.raises(ImportRefused, match="Unknown format"):
            import_preview(filename="a.txt", data=GIFT_BANK, fmt="word")


def _template_header() -> list[str]:
    """The header row of the shipped Excel template, read from the template itself."""
    from openpyxl import load_workbook

    from exams.quizzes.formats import xlsx

    sheet = load_workbook(io.BytesIO(xlsx.template())).worksheets[0]
    return [str(cell.value) for cell in next(sheet.iter_rows(max_row=1)) if cell.value]


def _template_row(header: list[str], *, qtype: str, text: str) -> list[str]:
    """A single-choice row: options A-C, answer B."""
    values = {"type": qtype, "question": text, "option a": "甲", "option b": "乙"}
    values |= {"option c": "丙", "answer": "B", "score": "1"}
    row = []
    for title in header:
        lowered = title.lower()
        row.append(next((v for key, v in values.items() if lowered.endswith(key)), ""))
    return row


class TestCommit:
    def test_categories_of_the_file_are_made_under_the_target(self, db, trainer):
        target = QuestionCategory.objects.create(name="Target")
        preview = import_preview(filename="bank.txt", data=GIFT_BANK)

        report = import_commit(preview=preview, into=target, user=trainer)

        fire = category_by_path(names=["Target", SAFETY, FIRE])
        power = category_by_path(names=["Target", SAFETY, POWER])
        assert report.created == 8 and report.by_type == GIFT_BANK_TYPES
        assert report.by_category == {fire.path: 7, power.path: 1}
        assert report.categories_created == 3
        assert fire.questions.count() == 7 and power.questions.count() == 1
        question = fire.questions.get(name="fire-call")
        assert question.current_version.number == 1
        assert question.current_version.question_id == question.pk
        assert question.spec == preview.questions[0].spec
        assert question.created_by == trainer and question.current_version.created_by == trainer
        assert "119" in question.search_text

    def test_questions_without_category_go_into_the_target(self, db, trainer):
        target = QuestionCategory.objects.create(name="Aiken target")

        import_commit(
            preview=import_preview(filename="a.txt", data=AIKEN_BANK), into=target, user=trainer
        )

        assert target.questions.count() == 2
        assert QuestionCategory.objects.count() == 1

    def test_without_target_they_go_into_a_new_dated_top_category(self, db, trainer):
        now = datetime(2026, 3, 2, 2, 5, tzinfo=UTC)  # 10:05 in Asia/Shanghai

        report = import_commit(
            preview=import_preview(filename="a.txt", data=AIKEN_BANK),
            into=None,
            user=trainer,
            now=now,
        )

        category = QuestionCategory.objects.get()
        assert category.parent is None
        assert category.name == "Imported 2026-03-02 10:05"
        assert report.by_category == {"Imported 2026-03-02 10:05": 2}

    def test_existing_categories_are_reused(self, db, trainer):
        safety = QuestionCategory.objects.create(name=SAFETY)
        QuestionCategory.objects.create(name=FIRE, parent=safety)

        report = import_commit(
            preview=import_preview(filename="b.txt", data=GIFT_BANK), into=None, user=trainer
        )

        assert report.categories_created == 1  # only Electricity was new
        assert QuestionCategory.objects.count() == 3

    def test_a_failure_midway_stores_nothing(self, db, trainer):
        good = import_preview(filename="b.txt", data=GIFT_BANK).questions
        # JSON cannot hold a set: the versions fail after the questions were inserted.
        broken = ParsedQuestion(
            spec=dataclasses.replace(good[1].spec, extra={"x": {1, 2}}),
            category=("Midway",),
            line=99,
        )
        preview = ImportPreview(
            filename="b.txt", fmt="gift", questions=(*good, broken), problems=()
        )

        with pytest.raises(TypeError):
            import_commit(preview=preview, into=None, user=trainer)

        assert table_counts() == (0, 0, 0)

    def test_an_invalid_spec_in_a_hand_made_preview_is_refused(self, db, trainer):
        bad = qspec.QuestionSpec(qtype=qspec.SINGLE, text="<p>No options</p>")
        preview = ImportPreview(
            filename="x", fmt="gift", questions=(ParsedQuestion(spec=bad, line=3),), problems=()
        )

        with pytest.raises(ImportRefused, match="Line 3"):
            import_commit(preview=preview, into=None, user=trainer)

        assert table_counts() == (0, 0, 0)

    def test_script_and_event_handlers_never_reach_the_bank(self, db, trainer):
        import_commit(
            preview=import_preview(filename="x.txt", data=SCRIPT_GIFT), into=None, user=trainer
        )

        stored = str(QuestionVersion.objects.get().spec)
        assert "<script" not in stored and "onerror" not in stored
        assert "Which is safe?" in stored

    def test_imported_questions_are_in_the_search_index(
        self, db, trainer, django_capture_on_commit_callbacks
    ):
        preview = import_preview(filename="b.txt", data=GIFT_BANK)

        with django_capture_on_commit_callbacks(execute=True):
            import_commit(preview=preview, into=None, user=trainer)

        found = get_search_backend().search("petrol", Question)
        assert [question.name for question in found] == ["extinguishers"]

    def test_ten_thousand_questions(self, db, trainer, django_assert_max_num_queries):
        preview = import_preview(filename="big.txt", data=gift_questions(10_000))

        with django_assert_max_num_queries(250):
            report = import_commit(preview=preview, into=None, user=trainer)

        assert report.created == 10_000
        assert Question.objects.count() == 10_000
        assert QuestionVersion.objects.count() == 10_000
        assert not Question.objects.filter(current_version=None).exists()
        assert Question.objects.filter(name="q9999").get().spec.choices[0].text


class TestExport:
    @pytest.mark.parametrize("fmt", ["moodlexml", "xlsx", "gift"])
    def test_export_then_import_gives_the_same_questions(self, db, trainer, fmt):
        import_commit(
            preview=import_preview(filename="b.txt", data=GIFT_BANK), into=None, user=trainer
        )
        safety = category_by_path(names=[SAFETY])
        exported = export_category(category=safety, fmt=fmt)
        copy = QuestionCategory.objects.create(name="Copy")

        import_commit(
            preview=import_preview(filename=f"export.{fmt}", data=exported, fmt=fmt),
            into=copy,
            user=trainer,
        )

        for leaf in (FIRE, POWER):
            original = category_by_path(names=[SAFETY, leaf])
            again = category_by_path(names=["Copy", SAFETY, leaf])
            assert _comparable(stored_specs(again)) == _comparable(stored_specs(original))

    def test_without_subcategories_only_the_category_itself(self, db, trainer):
        import_commit(
            preview=import_preview(filename="b.txt", data=GIFT_BANK), into=None, user=trainer
        )
        safety = category_by_path(names=[SAFETY])

        exported = export_category(category=safety, fmt="gift", include_subcategories=False)

        assert b"{" not in exported  # no question at all

    def test_archived_questions_are_left_out(self, db, trainer):
        import_commit(
            preview=import_preview(filename="a.txt", data=AIKEN_BANK), into=None, user=trainer
        )
        Question.objects.filter(name__startswith="Which").update(archived=True)

        exported = export_category(category=QuestionCategory.objects.get(), fmt="moodlexml")

        assert "安全帽".encode() in exported and b"Which number" not in exported


def _comparable(specs: list[dict]) -> list[qspec.QuestionSpec]:
    """Specs compared as values (decimals as numbers), in the order of their text."""
    return sorted((qspec.spec_from_dict(spec) for spec in specs), key=lambda spec: spec.text)


class TestConfirmTwiceAtOnce:
    @pytest.mark.django_db(transaction=True)
    def test_two_confirmations_at_once_import_once(self, trainer):
        from django.db import connection

        token = import_upload_keep(
            data=GIFT_BANK, filename="b.txt", fmt="gift", into=None, user=trainer
        )
        barrier = threading.Barrier(2)
        outcomes: list[object] = []

        def confirm_once() -> None:
            barrier.wait()
            try:
                outcomes.append(import_upload_confirm(token=token, user=trainer).created)
            except ImportRefused as refused:
                outcomes.append(refused.status)
            finally:
                connection.close()

        threads = [threading.Thread(target=confirm_once) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert sorted(outcomes, key=str) == [409, 8]
        assert Question.objects.count() == 8
