"""``exams.quizzes.formats.moodlexml``: the sample bank, every type both ways, round
trips, and files that are bad as a whole or in one question."""

import time
from dataclasses import replace
from decimal import Decimal as D
from pathlib import Path

import pytest
from defusedxml.ElementTree import fromstring

from exams.quizzes import spec as qspec
from exams.quizzes.formats import moodlexml
from exams.quizzes.formats.base import FormatError, ParsedQuestion
from exams.quizzes.validation import spec_errors
from tests.exams.quizzes.conftest import spec_for

SAMPLE = Path(__file__).resolve().parents[3] / "exams/quizzes/demo_files/sample.moodle.xml"
SAFETY = "安全生产 Workplace safety"


def quiz(*questions: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n' + "\n".join(questions) + "\n</quiz>"
    ).encode()


def question(qtype: str, body: str, *, text: str = "<p>Q?</p>", name: str = "N") -> str:
    return (
        f'<question type="{qtype}"><name><text>{name}</text></name>'
        f'<questiontext format="html"><text><![CDATA[{text}]]></text></questiontext>'
        f"{body}</question>"
    )


def only(data: bytes) -> qspec.QuestionSpec:
    result = moodlexml.parse(data)
    assert result.problems == []
    assert len(result.questions) == 1
    return result.questions[0].spec


# --- the sample bank -------------------------------------------------------------------


def test_the_sample_bank_has_every_supported_type_in_its_categories():
    # given the demo file
    # when it is parsed
    result = moodlexml.parse(SAMPLE.read_bytes())
    # then every type is there once, valid, with its category and the line it starts on
    by_type = {q.spec.qtype: q for q in result.questions}
    assert sorted(by_type) == sorted(qspec.QUESTION_TYPES)
    assert all(spec_errors(q.spec) == [] for q in result.questions)
    assert by_type["single"].category == (SAFETY, "消防安全 Fire safety")
    assert by_type["matching"].category == (SAFETY, "个人防护 PPE")
    assert by_type["essay"].category == (SAFETY, "事故处理 Incident response")
    lines = SAMPLE.read_text(encoding="utf-8").split("\n")
    for parsed in result.questions:
        assert lines[parsed.line - 1].strip().startswith("<question type=")
    # and the unsupported types are listed, each a problem at its line, nothing imported
    assert result.unsupported == {"calculated": 1, "ddwtos": 1}
    assert [p.qtype for p in result.problems] == ["calculated", "ddwtos"]
    assert all('type="' + p.qtype + '"' in lines[p.line - 1] for p in result.problems)


def test_the_sample_bank_survives_export_and_import():
    # given the parsed sample
    first = moodlexml.parse(SAMPLE.read_bytes()).questions
    # when it is exported and parsed again
    again = moodlexml.parse(moodlexml.export(first)).questions
    # then the specs and categories are the same
    assert [(q.spec, q.category) for q in again] == [(q.spec, q.category) for q in first]


# --- each type, in -------------------------------------------------------------------------


def test_multichoice_single_with_fractions_and_feedback():
    data = quiz(
        question(
            "multichoice",
            "<defaultgrade>2.5000000</defaultgrade><single>true</single>"
            '<generalfeedback format="html"><text>Because.</text></generalfeedback>'
            '<correctfeedback format="html"><text>Well done</text></correctfeedback>'
            '<answer fraction="100" format="html"><text>&lt;p&gt;Right&lt;/p&gt;</text>'
            '<feedback format="html"><text>yes</text></feedback></answer>'
            '<answer fraction="50" format="plain_text"><text>Half &amp; half</text></answer>'
            '<answer fraction="0" format="html"><text>Wrong</text></answer>',
        )
    )
    spec = only(data)
    assert spec.qtype == qspec.SINGLE
    assert spec.default_mark == D("2.5")
    assert [(c.key, c.text, c.fraction) for c in spec.choices] == [
        ("a", "<p>Right</p>", D(1)),
        ("b", "Half &amp; half", D("0.5")),
        ("c", "Wrong", D(0)),
    ]
    assert spec.choices[0].feedback == "yes"
    assert spec.correct_feedback == "Well done"
    assert spec.general_feedback == "Because."


def test_multichoice_multi_thirds_add_up_to_exactly_one():
    answers = "".join(
        f'<answer fraction="{f}"><text>{t}</text></answer>'
        for f, t in [("33.33333", "A"), ("33.33333", "B"), ("33.33333", "C"), ("-100", "D")]
    )
    spec = only(quiz(question("multichoice", "<single>false</single>" + answers)))
    assert spec.qtype == qspec.MULTI
    assert sum(c.fraction for c in spec.choices if c.fraction > 0) == D(1)
    assert spec.choices[3].fraction == D(-1)


def test_truefalse_shortanswer_numerical_essay():
    data = quiz(
        question(
            "truefalse",
            '<answer fraction="0"><text>true</text><feedback><text>no</text></feedback></answer>'
            '<answer fraction="100"><text>false</text></answer>',
        ),
        question(
            "shortanswer",
            '<usecase>1</usecase><answer fraction="100"><text>CO2</text></answer>'
            '<answer fraction="50"><text>carbon*</text></answer>',
        ),
        question(
            "numerical",
            '<answer fraction="100"><text>3.14</text><tolerance>0.01</tolerance></answer>'
            '<answer fraction="0"><text>*</text><feedback><text>any</text></feedback></answer>',
        ),
        question("essay", "<responseformat>editor</responseformat>"),
    )
    result = moodlexml.parse(data)
    assert result.problems == []
    truefalse, short, numerical, essay = (q.spec for q in result.questions)
    assert [(c.key, c.fraction, c.feedback) for c in truefalse.choices] == [
        ("true", D(0), "no"),
        ("false", D(1), ""),
    ]
    assert short.case_sensitive is True
    assert [(a.text, a.fraction) for a in short.text_answers] == [("CO2", 1), ("carbon*", D("0.5"))]
    # the "*" catch-all only carried feedback: it is dropped
    assert numerical.numeric_answers == (qspec.NumericAnswer(D("3.14"), D("0.01"), D(1)),)
    assert essay.qtype == qspec.ESSAY


def test_matching_with_a_distractor_and_ordering_in_document_order():
    data = quiz(
        question(
            "matching",
            "".join(
                f'<subquestion format="html"><text>{p}</text><answer><text>{a}</text></answer>'
                "</subquestion>"
                for p, a in [("Fire", "Extinguisher"), ("Cut", "Bandage"), ("", "Umbrella")]
            ),
        ),
        question(
            "ordering",
            '<answer fraction="1"><text>Pull</text></answer>'
            '<answer fraction="2"><text>Aim</text></answer>'
            '<answer fraction="3"><text>Squeeze</text></answer>',
        ),
    )
    matching, ordering = (q.spec for q in moodlexml.parse(data).questions)
    assert matching.pairs == (
        qspec.MatchPair("p1", "Fire", "Extinguisher"),
        qspec.MatchPair("p2", "Cut", "Bandage"),
        qspec.MatchPair("p3", "", "Umbrella"),
    )
    assert [i.text for i in ordering.items] == ["Pull", "Aim", "Squeeze"]


def test_cloze_short_answer_gaps_become_gapfill():
    text = "<p>Call {1:SHORTANSWER:=119#right~%50%110#police} or {1:SA:=fire \\} brigade~=FB}.</p>"
    spec = only(quiz(question("multianswer", "", text=text)))
    assert spec.qtype == qspec.GAPFILL
    assert spec.text == "<p>Call [[1]] or [[2]].</p>"
    assert [(a.gap, a.text, a.fraction, a.feedback) for a in spec.text_answers] == [
        (1, "119", D(1), "right"),
        (1, "110", D("0.5"), "police"),
        (2, "fire } brigade", D(1), ""),
        (2, "FB", D(1), ""),
    ]
    assert spec.case_sensitive is False


def test_cloze_case_sensitive_gaps():
    spec = only(quiz(question("multianswer", "", text="<p>{1:SAC:=Ab} {1:MWC:=Cd}</p>")))
    assert spec.case_sensitive is True


@pytest.mark.parametrize(
    "text, reason",
    [
        ("<p>{1:MULTICHOICE:=a~b}</p>", "MULTICHOICE"),
        ("<p>{1:NUMERICAL:=3}</p>", "NUMERICAL"),
        ("<p>{1:SA:=a} {2:SA:=b}</p>", "weights"),
        ("<p>{1:SA:=a} {1:SAC:=b}</p>", "case"),
        ("<p>{1:SA:=a</p>", "closed"),
        ("<p>No gaps at all</p>", "no gaps"),
    ],
)
def test_cloze_questions_we_cannot_grade_are_problems(text, reason):
    # given a cloze question with a gap type we do not support, or broken
    data = quiz(question("multichoice", "<answer fraction='100'><text>x</text></answer>"
                         "<answer fraction='0'><text>y</text></answer>"),
                question("multianswer", "", text=text))  # fmt: skip
    # when parsed
    result = moodlexml.parse(data)
    # then it is a problem at its line and the other question is kept
    assert len(result.questions) == 1
    assert len(result.problems) == 1
    assert result.problems[0].line == 4
    assert reason.lower() in result.problems[0].message.lower()


def test_categories_strip_the_moodle_prefix_and_unescape_slashes():
    data = quiz(
        '<question type="category"><category><text>$course$/top/A//B/C</text></category>'
        "<info><text>ignored</text></info></question>",
        question("essay", ""),
        '<question type="category"><category><text>$course$/top</text></category></question>',
        question("essay", ""),
    )
    first, second = moodlexml.parse(data).questions
    assert first.category == ("A/B", "C")
    assert second.category == ()


# --- every type out and back ---------------------------------------------------------------


@pytest.mark.parametrize("qtype", qspec.QUESTION_TYPES)
def test_round_trip_of_every_type(qtype):
    # given a valid question of the type (true/false options carry no text in Moodle)
    spec = spec_for(qtype)
    if qtype == qspec.TRUEFALSE:
        spec = replace(spec, choices=tuple(replace(c, text="") for c in spec.choices))
    given = [ParsedQuestion(spec=spec, category=("Safety", "Fire/Smoke"))]
    # when exported and parsed again
    result = moodlexml.parse(moodlexml.export(given))
    # then the same spec and category come back
    assert result.problems == []
    assert [(q.spec, q.category) for q in result.questions] == [(spec, ("Safety", "Fire/Smoke"))]


def test_round_trip_keeps_an_empty_name_empty_and_case_sensitive_gaps():
    spec = replace(spec_for(qspec.GAPFILL), name="", case_sensitive=True)
    # (answers listed gap by gap: the Cloze text keeps them in that order)
    one, two = spec.text_answers
    extra = qspec.TextAnswer("a~b}c#d\\e", D("0.5"), "fb ~ } #", 1)
    spec = replace(spec, text_answers=(one, extra, two))
    result = moodlexml.parse(moodlexml.export([ParsedQuestion(spec=spec)]))
    assert [q.spec for q in result.questions] == [spec]


def test_export_is_moodle_xml_with_category_questions_and_moodle_type_names():
    questions = [
        ParsedQuestion(spec=spec_for(qtype), category=("A",) if i < 4 else ("B",))
        for i, qtype in enumerate(qspec.QUESTION_TYPES)
    ]
    root = fromstring(moodlexml.export(questions))
    types = [q.get("type") for q in root.iter("question")]
    assert types == [
        "category", "multichoice", "multichoice", "truefalse", "shortanswer",
        "category", "numerical", "multianswer", "matching", "ordering", "essay",
    ]  # fmt: skip
    assert root.find("question/category/text").text == "$course$/top/A"
    cloze = [q for q in root.iter("question") if q.get("type") == "multianswer"][0]
    assert "{1:SHORTANSWER:=SECRETANSWERone" in cloze.find("questiontext/text").text


# --- bad files -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   \n",
        b"just some text, not XML",
        SAMPLE.read_bytes()[:2000],  # truncated
        b"<?xml version='1.0'?><questions><question/></questions>",  # wrong root
        b"\x89PNG\r\n\x1a\n\x00\x00\x00binary",
    ],
)
def test_files_that_are_not_moodle_xml_are_refused_whole(data):
    with pytest.raises(FormatError) as error:
        moodlexml.parse(data)
    assert str(error.value)


def test_a_billion_laughs_is_refused_without_expansion():
    # given an entity bomb
    lol = "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    data = (
        '<?xml version="1.0"?><!DOCTYPE quiz [<!ENTITY lol0 "lol">' + lol + "]>"
        "<quiz><question type='essay'><questiontext><text>&lol9;</text></questiontext>"
        "</question></quiz>"
    ).encode()
    # when parsed, then it is refused at once
    started = time.monotonic()
    with pytest.raises(FormatError):
        moodlexml.parse(data)
    assert time.monotonic() - started < 1


def test_an_external_entity_is_refused():
    data = (
        b'<?xml version="1.0"?><!DOCTYPE quiz [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b"<quiz><question type='essay'><questiontext><text>&xxe;</text></questiontext>"
        b"</question></quiz>"
    )
    with pytest.raises(FormatError):
        moodlexml.parse(data)


def test_unknown_types_are_listed_and_skipped_whole():
    data = quiz(
        question("calculated", "<answer fraction='100'><text>{a}*2</text></answer>"),
        question("randomsamatch", "<choose>3</choose>"),
        question("calculated", ""),
        question("essay", ""),
    )
    result = moodlexml.parse(data)
    assert [q.spec.qtype for q in result.questions] == [qspec.ESSAY]
    assert result.unsupported == {"calculated": 2, "randomsamatch": 1}
    assert [p.line for p in result.problems] == [3, 4, 5]


def test_html_is_cleaned_and_pluginfile_images_dropped():
    text = (
        '<p onclick="steal()">Hi<script>alert(1)</script>'
        '<img src="@@PLUGINFILE@@/fire.png" onerror="x()"> <b>bold</b></p>'
    )
    spec = only(
        quiz(
            question(
                "shortanswer",
                '<answer fraction="100"><text>ok</text>'
                '<feedback format="html"><text>&lt;img src=x onerror=alert(1)&gt;fb</text>'
                "</feedback></answer>",
                text=text,
            )
        )
    )
    everything = spec.text + spec.text_answers[0].feedback
    assert "<script" not in everything
    assert "onerror" not in everything and "onclick" not in everything
    assert "@@PLUGINFILE@@" not in everything
    assert "<b>bold</b>" in spec.text


@pytest.mark.parametrize(
    "body, words",
    [
        ("<defaultgrade>lots</defaultgrade><answer fraction='100'><text>a</text></answer>", "lots"),
        ("<answer fraction='NaN'><text>a</text></answer>", "NaN"),
        ("<answer fraction='100'><text>x</text><tolerance>1e999999999</tolerance></answer>", ""),
        ("<answer fraction='50'><text>a</text></answer>", "100%"),
        ("", "answer"),
    ],
)
def test_a_bad_question_is_a_problem_at_its_line(body, words):
    qtype = "numerical" if "tolerance" in body else "shortanswer"
    data = quiz(question("essay", ""), question(qtype, body))
    result = moodlexml.parse(data)
    assert [q.spec.qtype for q in result.questions] == [qspec.ESSAY]
    assert [p.line for p in result.problems] == [4]
    assert words in result.problems[0].message


def test_a_file_declared_in_gb2312_is_read():
    text = (
        '<?xml version="1.0" encoding="GB2312"?><quiz>'
        '<question type="shortanswer"><name><text>灭火</text></name>'
        '<questiontext format="html"><text>火警电话？</text></questiontext>'
        '<answer fraction="100"><text>一一九</text></answer></question></quiz>'
    )
    spec = only(text.encode("gb18030"))
    assert spec.text == "火警电话？"
    assert spec.text_answers[0].text == "一一九"


def test_ten_thousand_questions_parse():
    body = '<answer fraction="100"><text>yes</text></answer>'
    data = quiz(*(question("shortanswer", body, name=f"Q{i}") for i in range(10_000)))
    result = moodlexml.parse(data)
    assert len(result.questions) == 10_000
    assert result.problems == []
