"""``manage.py import_questions`` and ``manage.py export_questions``."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from exams.quizzes import spec as qspec
from exams.quizzes.importing import category_by_path
from exams.quizzes.models import Question, QuestionCategory

from .test_importing import (
    AIKEN_BANK,
    BAD_LINE,
    FIRE,
    GIFT_BANK,
    GIFT_WITH_A_BAD_QUESTION,
    POWER,
    SAFETY,
    _english,  # noqa: F401 - messages in English for every test here
    stored_specs,
    table_counts,
)


def run(command: str, *args):
    out, err = StringIO(), StringIO()
    call_command(command, *[str(a) for a in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def gift_file(tmp_path):
    path = tmp_path / "bank.gift.txt"
    path.write_bytes(GIFT_BANK)
    return path


class TestImportQuestions:
    def test_a_good_file_is_imported_with_counts(self, db, gift_file):
        out, err = run("import_questions", gift_file)

        assert Question.objects.count() == 8
        assert "  type truefalse: 2" in out
        assert f"  category {SAFETY} / {FIRE}: 7" in out
        assert "Imported 8 question(s) (gift), skipped 0." in out
        assert err == ""

    def test_into_a_category_path_made_where_missing(self, db, gift_file):
        run("import_questions", gift_file, "--category", "Bulk/2026")

        assert category_by_path(names=["Bulk", "2026", SAFETY, POWER]).questions.count() == 1

    def test_format_given(self, db, tmp_path):
        path = tmp_path / "questions.dat"
        path.write_bytes(AIKEN_BANK)

        out, _ = run("import_questions", path, "--format", "aiken", "--category", "Aiken")

        assert "Imported 2 question(s) (aiken)" in out
        assert category_by_path(names=["Aiken"]).questions.count() == 2

    def test_dry_run_stores_nothing(self, db, gift_file):
        out, _ = run("import_questions", gift_file, "--dry-run", "--category", "New/Path")

        assert table_counts() == (0, 0, 0)
        assert "Dry run (gift): 8 question(s) would be imported, 0 skipped." in out
        assert "  type single: 1" in out

    def test_rejected_questions_are_printed_with_their_line(self, db, tmp_path):
        path = tmp_path / "mixed.txt"
        path.write_bytes(GIFT_WITH_A_BAD_QUESTION)

        out, err = run("import_questions", path)

        assert err.startswith(f"Line or row {BAD_LINE}: ")
        assert "Imported 3 question(s) (gift), skipped 1." in out

    def test_strict_imports_nothing_when_a_question_is_bad(self, db, tmp_path):
        path = tmp_path / "mixed.txt"
        path.write_bytes(GIFT_WITH_A_BAD_QUESTION)

        with pytest.raises(CommandError, match="1 question"):
            run("import_questions", path, "--strict")

        assert table_counts() == (0, 0, 0)

    @pytest.mark.parametrize(
        ("content", "fmt", "message"),
        [
            (b"", None, "The file is empty."),
            (GIFT_BANK, "moodlexml", "not a well-formed XML file"),
            (b"<?xml version='1.0'?><quiz><question", None, "it may be truncated"),
            (b"::bad::None right {~a ~b}\n", None, "No question in this file can be imported."),
        ],
    )
    def test_a_bad_file_fails_and_stores_nothing(self, db, tmp_path, content, fmt, message):
        path = tmp_path / "bad.txt"
        path.write_bytes(content)
        args = [path, *(["--format", fmt] if fmt else [])]

        with pytest.raises(CommandError, match=message):
            run("import_questions", *args)

        assert table_counts() == (0, 0, 0)

    def test_a_missing_file(self, db, tmp_path):
        with pytest.raises(CommandError, match="No such file"):
            run("import_questions", tmp_path / "nope.txt")


class TestExportQuestions:
    @pytest.mark.parametrize("fmt", ["moodlexml", "xlsx", "gift"])
    def test_export_then_import_gives_equal_specs(self, db, gift_file, tmp_path, fmt):
        run("import_questions", gift_file)
        out_file = tmp_path / f"export.{fmt}"

        out, _ = run("export_questions", "--category", SAFETY, "--format", fmt, out_file)
        run("import_questions", out_file, "--format", fmt, "--category", "Again")

        assert f"Exported 8 question(s) of {SAFETY} to {out_file}." in out
        for leaf in (FIRE, POWER):
            original = category_by_path(names=[SAFETY, leaf])
            again = category_by_path(names=["Again", SAFETY, leaf])
            assert _specs(again) == _specs(original)

    def test_every_type_round_trips_through_moodle_xml_and_the_template(self, db, tmp_path):
        every_type = _every_type_bank(tmp_path)
        for fmt in ("moodlexml", "xlsx"):
            out_file = tmp_path / f"all.{fmt}"
            run("export_questions", "--category", "Every type", "--format", fmt, out_file)
            run("import_questions", out_file, "--format", fmt, "--category", f"Again {fmt}")

            again = category_by_path(names=[f"Again {fmt}", "Every type"])
            assert _specs(again) == _specs(every_type), fmt

    def test_gift_leaves_out_the_types_it_cannot_hold(self, db, tmp_path):
        _every_type_bank(tmp_path)
        out_file = tmp_path / "all.gift"

        out, _ = run("export_questions", "--category", "Every type", "--format", "gift", out_file)

        assert "Left out 2 question(s)" in out
        assert "Exported 7 question(s)" in out

    def test_an_unknown_category_fails(self, db, tmp_path):
        with pytest.raises(CommandError, match="No such category: Nowhere/At all"):
            run(
                "export_questions",
                "--category",
                "Nowhere/At all",
                "--format",
                "gift",
                tmp_path / "x",
            )


def _every_type_bank(tmp_path) -> QuestionCategory:
    """One question of every type, imported from Moodle XML into "Every type"."""
    path = tmp_path / "every.xml"
    path.write_bytes(EVERY_TYPE_XML)
    run("import_questions", path, "--format", "moodlexml", "--category", "Every type")
    category = category_by_path(names=["Every type"])
    assert sorted(category.questions.values_list("qtype", flat=True)) == sorted(
        qspec.QUESTION_TYPES
    )
    return category


def _specs(category: QuestionCategory) -> list[qspec.QuestionSpec]:
    return sorted(
        (qspec.spec_from_dict(spec) for spec in stored_specs(category)), key=lambda s: s.text
    )


def _question(qtype: str, name: str, text: str, body: str, fmt: str = "html") -> str:
    return f"""  <question type="{qtype}">
    <name><text>{name}</text></name>
    <questiontext format="{fmt}"><text><![CDATA[{text}]]></text></questiontext>
    <generalfeedback format="html"><text><![CDATA[<p>Because.</p>]]></text></generalfeedback>
    <defaultgrade>2</defaultgrade>
{body}
  </question>
"""


def _answer(fraction: str, text: str, feedback: str = "") -> str:
    return (
        f'    <answer fraction="{fraction}" format="html"><text><![CDATA[{text}]]></text>'
        f'<feedback format="html"><text>{feedback}</text></feedback></answer>\n'
    )


EVERY_TYPE_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n'
    + _question(
        "multichoice",
        "single",
        "<p>哪种灭火器适用于电器火灾？</p>",
        "    <single>true</single>\n" + _answer("100", "二氧化碳", "对") + _answer("0", "水", "错"),
    )
    + _question(
        "multichoice",
        "multi",
        "<p>Which are personal protective equipment?</p>",
        "    <single>false</single>\n"
        + _answer("50", "Helmet")
        + _answer("50", "Gloves")
        + _answer("-100", "Sandals"),
    )
    + _question(
        "truefalse",
        "tf",
        "<p>A fire door may be wedged open.</p>",
        _answer("0", "true") + _answer("100", "false"),
    )
    + _question(
        "shortanswer",
        "short",
        "<p>Name the gas in a CO2 extinguisher.</p>",
        "    <usecase>0</usecase>\n" + _answer("100", "carbon dioxide") + _answer("50", "CO*"),
    )
    + _question(
        "numerical",
        "num",
        "<p>How many metres from an exit may a fire extinguisher hang at most?</p>",
        '    <answer fraction="100"><text>15</text><tolerance>1</tolerance>'
        '<feedback format="html"><text></text></feedback></answer>\n',
    )
    + _question(
        "multianswer",
        "gaps",
        "<p>Fire needs {1:SHORTANSWER:=oxygen}, fuel and {1:SHORTANSWER:=heat~%50%warmth}.</p>",
        "",
    )
    + _question(
        "matching",
        "match",
        "<p>Match the sign to its colour.</p>",
        '    <subquestion format="html"><text><![CDATA[<p>Prohibition</p>]]></text>'
        "<answer><text>Red</text></answer></subquestion>\n"
        '    <subquestion format="html"><text><![CDATA[<p>Warning</p>]]></text>'
        "<answer><text>Yellow</text></answer></subquestion>\n"
        '    <subquestion format="html"><text><![CDATA[<p>Mandatory</p>]]></text>'
        "<answer><text>Blue</text></answer></subquestion>\n",
    )
    + _question(
        "ordering",
        "order",
        "<p>Put the steps of using an extinguisher in order.</p>",
        _answer("1", "Pull the pin")
        + _answer("2", "Aim at the base")
        + _answer("3", "Squeeze the handle")
        + _answer("4", "Sweep side to side"),
    )
    + _question("essay", "essay", "<p>Describe your workplace's evacuation route.</p>", "")
    + "</quiz>\n"
).encode()
