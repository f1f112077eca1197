"""``exams.quizzes.formats.xlsx``: the Excel template (and its CSV), every type both ways,
round trips, and bad workbooks. Workbooks are made with openpyxl at run time."""

import io
import zipfile
from dataclasses import replace
from decimal import Decimal as D

import pytest
from openpyxl import Workbook, load_workbook

from exams.quizzes import spec as qspec
from exams.quizzes.formats import xlsx
from exams.quizzes.formats.base import FormatError, ParsedQuestion
from exams.quizzes.validation import spec_errors
from tests.exams.quizzes.conftest import spec_for

HEADER = [
    "题型 type", "分类 category", "题目 question", "选项A option A", "选项B option B",
    "选项C option C", "选项D option D", "答案 answer", "分值 score", "解析 feedback",
]  # fmt: skip


def workbook(rows, *, header=HEADER, title="题目 questions", merge=None) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    if header is not None:
        sheet.append(header)
    for row in rows:
        sheet.append(list(row))
    if merge:
        sheet.merge_cells(merge)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def row(qtype, text, options=(), answer="", score=None, feedback="", category="安全/消防"):
    return [qtype, category, text, *(list(options) + [""] * 4)[:4], answer, score, feedback]


def parsed(*rows, **kwargs):
    return xlsx.parse(workbook(rows, **kwargs))


def only(*rows, **kwargs) -> qspec.QuestionSpec:
    result = parsed(*rows, **kwargs)
    assert result.problems == []
    assert len(result.questions) == 1
    return result.questions[0].spec


# --- each type, in -----------------------------------------------------------------------


def test_single_choice_with_category_score_and_feedback():
    result = parsed(row("单选", "用什么灭电火？", ["二氧化碳", "水", "泡沫"], "A", 2, "水导电。"))
    (question,) = result.questions
    spec = question.spec
    assert question.category == ("安全", "消防")
    assert question.line == 2
    assert spec.qtype == qspec.SINGLE
    assert spec.text == "<p>用什么灭电火？</p>"
    assert [(c.key, c.text, c.fraction) for c in spec.choices] == [
        ("a", "二氧化碳", D(1)),
        ("b", "水", D(0)),
        ("c", "泡沫", D(0)),
    ]
    assert spec.default_mark == D(2)
    assert spec.general_feedback == "<p>水导电。</p>"


@pytest.mark.parametrize("answer", ["ACD", "acd", "A,C,D", "A，C、D", "D C A"])
def test_multi_right_options_share_one_hundred_percent(answer):
    spec = only(row("多选", "Which?", ["one", "two", "three", "four"], answer))
    assert spec.qtype == qspec.MULTI
    fractions = [c.fraction for c in spec.choices]
    assert fractions[1] == 0
    assert sum(fractions) == 1
    assert all(abs(f - D(1) / 3) < D("0.000001") for f in fractions if f)


def test_multi_with_explicit_grades():
    spec = only(row("multi", "Which?", ["one", "two", "three"], "A:50%,B:50%,C:-100%"))
    assert [c.fraction for c in spec.choices] == [D("0.5"), D("0.5"), D(-1)]


@pytest.mark.parametrize(
    "answer, right",
    [("对", "true"), ("正确", "true"), ("T", "true"), (True, "true"), (1, "true"),
     ("错", "false"), ("错误", "false"), ("f", "false"), ("FALSE", "false"), (False, "false")],
)  # fmt: skip
def test_true_false_answers_in_chinese_english_and_as_excel_values(answer, right):
    spec = only(row("判断", "Smoke rises.", answer=answer))
    assert spec.qtype == qspec.TRUEFALSE
    assert {c.key: c.fraction for c in spec.choices}[right] == 1


def test_true_false_options_in_either_order_name_their_texts():
    spec = only(row("判断", "Smoke rises.", ["错误", "正确"], "B"))
    assert {c.key: (c.text, c.fraction) for c in spec.choices} == {
        "true": ("正确", D(1)),
        "false": ("错误", D(0)),
    }


def test_fill_in_with_one_answer_set_is_a_short_answer():
    spec = only(row("填空", "标准编号是 ____。", answer="GB 2811|%50%2811|GB2811*"))
    assert spec.qtype == qspec.SHORTANSWER
    assert [(a.text, a.fraction) for a in spec.text_answers] == [
        ("GB 2811", D(1)),
        ("2811", D("0.5")),
        ("GB2811*", D(1)),
    ]
    assert spec.case_sensitive is False


def test_fill_in_with_several_answer_sets_fills_the_blanks_in_order():
    spec = only(row("填空", "应佩戴 ____ 口罩，每（ ）小时更换。", answer="KN95|KN100；4"))
    assert spec.qtype == qspec.GAPFILL
    assert spec.text == "<p>应佩戴 [[1]] 口罩，每[[2]]小时更换。</p>"
    assert [(a.gap, a.text) for a in spec.text_answers] == [(1, "KN95"), (1, "KN100"), (2, "4")]


def test_fill_in_with_gap_markers_is_gapfill_even_with_one_gap():
    spec = only(row("填空题", "Call [[1]] now.", answer="119"))
    assert spec.qtype == qspec.GAPFILL
    assert spec.text_answers == (qspec.TextAnswer("119", D(1), gap=1),)


@pytest.mark.parametrize(
    "answer, expected",
    [
        (30, [(D(30), D(0), D(1))]),
        (2.5, [(D("2.5"), D(0), D(1))]),
        ("30±0.5", [(D(30), D("0.5"), D(1))]),
        ("30:0.5|%50%36+-6", [(D(30), D("0.5"), D(1)), (D(36), D(6), D("0.5"))]),
    ],
)
def test_numerical_answers_as_numbers_or_text(answer, expected):
    spec = only(row("数值", "How many months?", answer=answer))
    assert [(a.value, a.tolerance, a.fraction) for a in spec.numeric_answers] == expected


def test_matching_lines_with_a_distractor():
    spec = only(row("匹配", "Match them.", answer="高处=安全带\n噪声=耳塞\n=防静电服"))
    assert spec.pairs == (
        qspec.MatchPair("p1", "高处", "安全带"),
        qspec.MatchPair("p2", "噪声", "耳塞"),
        qspec.MatchPair("p3", "", "防静电服"),
    )


@pytest.mark.parametrize("answer, order", [("", ["拔", "瞄", "压"]), ("CAB", ["压", "拔", "瞄"])])
def test_ordering_takes_the_options_in_order_or_the_answer_letters(answer, order):
    spec = only(row("排序", "Put in order.", ["拔", "瞄", "压"], answer))
    assert [i.text for i in spec.items] == order
    assert [i.key for i in spec.items] == ["i1", "i2", "i3"]


@pytest.mark.parametrize("name", ["简答", "问答题", "essay"])
def test_jianda_is_an_essay_and_its_answer_a_reference_shown_as_feedback(name):
    spec = only(row(name, "简述事故报告的内容。", answer="时间、地点", score=10, feedback="见规程"))
    assert spec.qtype == qspec.ESSAY
    assert spec.general_feedback == "<p>时间、地点</p><p>见规程</p>"


def test_headers_in_only_chinese_or_only_english_in_any_order():
    chinese = ["答案", "题型", "题目", "选项A", "选项B", "分类"]
    english = ["Answer", "Type", "Question", "Option A", "Option B", "Category"]
    for header in (chinese, english):
        spec = only(["B", "单选", "Q?", "x", "y", "A/B"], header=header)
        assert [c.fraction for c in spec.choices] == [0, 1]


def test_merged_category_and_type_cells_count_for_every_row():
    rows = [row("单选", f"Q{i}?", ["x", "y"], "A", category="合并/分类") for i in range(3)]
    for r in rows[1:]:
        r[1] = None
    result = parsed(*rows, merge="B2:B4")
    assert [q.category for q in result.questions] == [("合并", "分类")] * 3


def test_per_answer_feedback_column():
    header = HEADER + ["答案反馈 answer feedback"]
    result = parsed(
        row("单选", "Q?", ["x", "y"], "A") + ["A=right\nB=wrong"],
        row("填空", "Q?", answer="a|b") + ["2=close"],
        row("判断", "Q?", answer="对") + ["错=no"],
        header=header,
    )
    single, short, truefalse = (q.spec for q in result.questions)
    assert [c.feedback for c in single.choices] == ["right", "wrong"]
    assert [a.feedback for a in short.text_answers] == ["", "close"]
    assert {c.key: c.feedback for c in truefalse.choices} == {"true": "", "false": "no"}


# --- bad rows ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad, words",
    [
        (row("选择", "Q?", ["x", "y"], "A"), "选择"),
        (row("", "Q?", ["x", "y"], "A"), "empty"),
        (row("单选", "Q?", ["x", "y"], "C"), "C"),
        (row("单选", "Q?", ["x", "y"], "AB"), "one right answer"),
        (row("单选", "Q?", ["x", "y"], "A?"), "A?"),
        (row("单选", "Q?", ["x", "y"], ""), "empty"),
        (row("判断", "Q?", answer="maybe"), "maybe"),
        (row("数值", "Q?", answer="thirty"), "thirty"),
        (row("匹配", "Q?", answer="no equals sign"), "prompt=answer"),
        (row("排序", "Q?", ["a", "b"], "AC"), "every option"),
        (row("单选", "", ["x", "y"], "A"), "no text"),
        (row("单选", "Q?", ["x", "y"], "A", score="lots"), "lots"),
        (row("填空", "Q?", answer="%200%x"), "100%"),
    ],
)
def test_a_bad_row_is_a_problem_with_its_row_number_and_the_rest_is_kept(bad, words):
    result = parsed(row("单选", "Good?", ["x", "y"], "A"), bad, row("判断", "Fine.", answer="对"))
    assert [q.line for q in result.questions] == [2, 4]
    assert [p.line for p in result.problems] == [3]
    assert words in result.problems[0].message


# --- round trips -------------------------------------------------------------------------


@pytest.mark.parametrize("qtype", qspec.QUESTION_TYPES)
def test_round_trip_of_every_type(qtype):
    # given a valid question of the type, with feedback everywhere the bank has it
    spec = replace(
        spec_for(qtype), correct_feedback="<p>Right!</p>", incorrect_feedback="<p>Wrong.</p>"
    )
    if qtype in (qspec.SHORTANSWER, qspec.GAPFILL):
        spec = replace(spec, case_sensitive=True)
    given = [ParsedQuestion(spec=spec, category=("安全 Safety", "消防/Fire"), line=2)]
    # when exported to the template and parsed again
    result = xlsx.parse(xlsx.export(given))
    # then the same spec and category come back, from row 2
    assert result.problems == []
    assert result.questions == given


def test_round_trip_of_awkward_texts():
    spec = qspec.QuestionSpec(
        qtype=qspec.SHORTANSWER,
        text="<p>a &lt; b &amp; [[not a gap]]</p><p>second line</p>",
        name="",
        default_mark=D("0.5"),
        text_answers=(
            qspec.TextAnswer("x|y;z=w%v\\u", D(1), "fb = <b>bold</b>\nline"),
            qspec.TextAnswer("%50%literal", D("0.25")),
        ),
    )
    assert spec_errors(spec) == []
    given = [ParsedQuestion(spec=spec, category=(), line=2)]
    assert xlsx.parse(xlsx.export(given)).questions == given


def test_an_exported_workbook_reads_as_a_template_for_people():
    data = xlsx.export([ParsedQuestion(spec=spec_for(qspec.MULTI), category=("A",))])
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    assert sheet.title == "题目 questions"
    assert sheet.freeze_panes == "A2"
    values = [cell.value for cell in sheet[2]]
    assert values[:2] == ["多选", "A"]
    assert "A:50%,B:50%,C:-100%" in values


# --- the template ------------------------------------------------------------------------


def test_the_template_is_empty_has_a_frozen_bilingual_header_and_a_help_sheet():
    data = xlsx.template()
    book = load_workbook(io.BytesIO(data))
    questions, help_sheet = book.worksheets
    header = [cell.value for cell in questions[1]]
    assert header[:3] == ["题型 type", "分类 category", "题目 question"]
    assert "选项H option H" in header and "答案 answer" in header and "分值 score" in header
    assert questions.freeze_panes == "A2"
    assert questions.column_dimensions["C"].width >= 40
    assert help_sheet.title == "说明 help"
    text = " ".join(str(c.value) for r in help_sheet.iter_rows() for c in r if c.value)
    assert "简答" in text and "essay" in text and "填空" in text and "gapfill" in text
    # and it parses to nothing, without complaint
    result = xlsx.parse(data)
    assert result.questions == [] and result.problems == []


def test_the_help_sheet_examples_parse_as_one_question_per_type():
    book = load_workbook(io.BytesIO(xlsx.template()))
    help_sheet = book["说明 help"]
    rows = [[c.value for c in r] for r in help_sheet.iter_rows()]
    start = next(i for i, r in enumerate(rows) if r[:2] == ["题型 type", "分类 category"])
    result = xlsx.parse(workbook(rows[start + 1 :], header=rows[start]))
    assert result.problems == []
    assert {q.spec.qtype for q in result.questions} == set(qspec.QUESTION_TYPES)


# --- CSV ---------------------------------------------------------------------------------


def csv_text() -> str:
    return (
        "题型 type,分类 category,题目 question,选项A option A,选项B option B,答案 answer\n"
        "单选,安全/消防,火警电话是？,119,110,A\n"
        '匹配,安全,"对应：",,,"火=灭火器\n伤=绷带"\n'
    )


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_a_csv_export_in_utf8_or_gb18030_reads_the_same(encoding):
    result = xlsx.parse(csv_text().encode(encoding))
    assert result.problems == []
    assert [q.spec.qtype for q in result.questions] == [qspec.SINGLE, qspec.MATCHING]
    assert result.questions[0].spec.text == "<p>火警电话是？</p>"
    assert [q.line for q in result.questions] == [2, 3]


def test_a_tab_separated_utf16_export_reads_too():
    result = xlsx.parse(csv_text().replace(",", "\t").encode("utf-16"))
    assert len(result.questions) == 2


# --- bad files ---------------------------------------------------------------------------


def zip_bytes(names) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return out.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"This is a text file renamed to .xlsx\nwith no header row\n",
        workbook([], header=None),  # an empty workbook
        workbook([row("单选", "Q?", ["x", "y"], "A")], header=["foo", "bar"]),
        workbook([row("单选", "Q?", ["x", "y"], "A")])[:3000],  # a truncated zip
        zip_bytes(["word/document.xml"]),  # a .docx
        zip_bytes(["xl/workbook.xml"]),  # a broken workbook
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,  # an old .xls
        b"\x00\x01\x02binary\x00",
    ],
)
def test_files_that_are_not_the_template_are_refused_whole(data):
    with pytest.raises(FormatError) as error:
        xlsx.parse(data)
    assert str(error.value)


def test_html_and_scripts_in_cells_are_cleaned():
    spec = only(
        row(
            "单选",
            '<p onclick="x()">Q<script>alert(1)</script><b>bold</b></p>',
            ['<img src=x onerror="alert(1)">A', "B"],
            "A",
        )
    )
    everything = spec.text + "".join(c.text for c in spec.choices)
    assert "<script" not in everything
    assert "onerror" not in everything and "onclick" not in everything
    assert "<b>bold</b>" in spec.text


def test_ten_thousand_rows_parse():
    rows = [row("单选", f"Question {i}?", ["x", "y", "z"], "B", 1) for i in range(10_000)]
    result = parsed(*rows)
    assert len(result.questions) == 10_000
    assert result.questions[-1].line == 10_001
