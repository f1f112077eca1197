"""``exams.quizzes.formats.aiken``: the layout, its mistakes, bad files, the export."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation

from exams.quizzes import spec as qspec
from exams.quizzes.formats import aiken, gift
from exams.quizzes.formats.base import FormatError, ParsedQuestion
from exams.quizzes.richtext import from_plain_text

SAMPLE = Path(aiken.__file__).resolve().parent.parent / "demo_files" / "sample.aiken.txt"
D = Decimal

TWO = """What is the fire number in China?
A. 110
B. 119
C. 120
ANSWER: B

Which sign means danger?
A) A green square
B) A yellow triangle
ANSWER: B
"""


@pytest.fixture(autouse=True)
def _english():
    """Messages in English, so that the tests read the source strings."""
    with translation.override("en"):
        yield


def p(text: str) -> str:
    return from_plain_text(text)


def problems_of(source: str) -> list[tuple[int, str]]:
    return [(problem.line, problem.message) for problem in aiken.parse(source.encode()).problems]


class TestLayout:
    def test_standard_questions(self):
        result = aiken.parse(TWO.encode())

        assert result.problems == []
        first, second = result.questions
        assert (first.line, second.line) == (1, 7)
        assert first.category == ()
        assert first.spec.qtype == qspec.SINGLE
        assert first.spec.text == p("What is the fire number in China?")
        assert [(c.key, c.text, c.fraction) for c in first.spec.choices] == [
            ("a", "110", D(0)),
            ("b", "119", D(1)),
            ("c", "120", D(0)),
        ]
        assert [c.fraction for c in second.spec.choices] == [D(0), D(1)]

    def test_without_blank_lines_and_with_a_question_over_two_lines(self):
        source = "Line one\nline two?\nA. yes\nB. no\nANSWER: A\nNext?\nA. x\nB. y\nANSWER: B\n"

        result = aiken.parse(source.encode())

        assert [q.line for q in result.questions] == [1, 6]
        assert result.questions[0].spec.text == "<p>Line one</p><p>line two?</p>"

    def test_chinese_punctuation_and_answer_word(self):
        source = "安全帽的作用是？\nA、装饰\nB．防止头部受伤\nC）保暖\n答案：B\n"

        (question,) = aiken.parse(source.encode()).questions

        assert [c.text for c in question.spec.choices] == ["装饰", "防止头部受伤", "保暖"]
        assert question.spec.choices[1].fraction == D(1)

    def test_lower_case_answer_letter_and_trailing_full_stop(self):
        (question,) = aiken.parse(b"Q?\nA. a\nB. b\nANSWER: b.\n").questions

        assert question.spec.choices[1].fraction == D(1)

    def test_text_is_plain_and_escaped(self):
        source = b"Is <script>x()</script> & <b>ok</b>?\nA. <i>a</i>\nB. b\nANSWER: A\n"

        (question,) = aiken.parse(source).questions

        assert question.spec.text == (
            "<p>Is &lt;script&gt;x()&lt;/script&gt; &amp; &lt;b&gt;ok&lt;/b&gt;?</p>"
        )
        assert question.spec.choices[0].text == "&lt;i&gt;a&lt;/i&gt;"
        assert "<script" not in repr(question.spec)

    def test_a_letter_without_a_space_is_question_text(self):
        (question,) = aiken.parse(b"A.M. or P.M.?\nA. A.M.\nB. P.M.\nANSWER: A\n").questions

        assert question.spec.text == p("A.M. or P.M.?")


class TestProblems:
    def test_missing_answer_line_the_next_question_is_still_read(self):
        source = "First?\nA. a\nB. b\n\nSecond?\nA. a\nB. b\nANSWER: A\n\nThird?\nA. x\nB. y\n"

        result = aiken.parse(source.encode())

        assert [q.line for q in result.questions] == [5]
        assert [(pr.line, pr.message) for pr in result.problems] == [
            (1, "The question has no ANSWER line (ANSWER: B)."),
            (10, "The question has no ANSWER line (ANSWER: B)."),
        ]

    def test_answer_not_among_the_options(self):
        assert problems_of("Q?\nA. a\nB. b\nANSWER: D\n") == [
            (1, "ANSWER: D is not one of the options (A, B).")
        ]

    @pytest.mark.parametrize("options", ["", "A. only one\n"])
    def test_fewer_than_two_options(self, options):
        assert problems_of(f"Q?\n{options}ANSWER: A\n") == [
            (1, "An Aiken question needs at least two options (A. …, B. …).")
        ]

    def test_several_answers(self):
        assert problems_of("Q?\nA. a\nB. b\nC. c\nANSWER: A, C\n") == [
            (1, "An Aiken question has one right answer; ANSWER names several.")
        ]

    @pytest.mark.parametrize("answer", ["", "1", "yes"])
    def test_an_answer_that_is_no_letter(self, answer):
        assert problems_of(f"Q?\nA. a\nB. b\nANSWER: {answer}\n") == [
            (1, "ANSWER must name the letter of one option, as in ANSWER: B.")
        ]

    def test_the_same_letter_twice(self):
        assert problems_of("Q?\nA. a\nA. b\nANSWER: A\n") == [
            (1, "Option A appears more than once.")
        ]

    def test_an_answer_line_without_a_question(self):
        result = aiken.parse(b"ANSWER: A\n\nQ?\nA. a\nB. b\nANSWER: A\n")

        assert [(pr.line, pr.message) for pr in result.problems] == [
            (1, "An ANSWER line without a question before it.")
        ]
        assert [q.line for q in result.questions] == [3]

    def test_options_without_question_text(self):
        assert problems_of("A. a\nB. b\nANSWER: A\n") == [(1, "The question has no text.")]


class TestBadFiles:
    @pytest.mark.parametrize(
        ("data", "message"),
        [
            (b"", "The file is empty."),
            (b"\n \n", "The file is empty."),
            (b"Just prose.\nMore prose.\n", "No Aiken questions found"),
            (b"Who? {=a ~b}\n", "No Aiken questions found"),
            (b"<?xml version='1.0'?><quiz/>", "XML"),
            (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text file"),
            (bytes(range(1, 32)) * 50, "not a text file"),
        ],
    )
    def test_refused_as_a_whole(self, data, message):
        with pytest.raises(FormatError, match=message):
            aiken.parse(data)

    def test_gb18030_and_utf8_bom_read_as_utf8_does(self):
        source = SAMPLE.read_text(encoding="utf-8").replace("\n", "\r\n")

        utf8 = aiken.parse(source.encode("utf-8"))
        bom = aiken.parse(b"\xef\xbb\xbf" + source.encode("utf-8"))
        chinese_windows = aiken.parse(source.encode("gb18030"))

        specs = [q.spec for q in utf8.questions]
        assert [q.spec for q in chinese_windows.questions] == specs
        assert [q.spec for q in bom.questions] == specs
        assert [q.line for q in bom.questions] == [q.line for q in utf8.questions]

    def test_ten_thousand_questions(self):
        data = "".join(f"Q{n}?\nA. yes\nB. no\nANSWER: A\n\n" for n in range(10_000)).encode()

        result = aiken.parse(data)

        assert len(result.questions) == 10_000
        assert result.questions[-1].line == 5 * 9_999 + 1


class TestSampleFile:
    def test_reads_without_problems(self):
        result = aiken.parse(SAMPLE.read_bytes())

        assert result.problems == []
        assert len(result.questions) == 5
        assert {q.spec.qtype for q in result.questions} == {qspec.SINGLE}

    def test_round_trip(self):
        questions = aiken.parse(SAMPLE.read_bytes()).questions

        again = aiken.parse(aiken.export(questions))

        assert again.problems == []
        assert [q.spec for q in again.questions] == [q.spec for q in questions]


def single(*fractions: str, text: str = "Q?", options: list[str] | None = None) -> ParsedQuestion:
    options = options or [f"option {n}" for n in range(len(fractions))]
    return ParsedQuestion(
        spec=qspec.QuestionSpec(
            qtype=qspec.SINGLE,
            text=p(text),
            choices=tuple(
                qspec.Choice(key=gift.choice_key(i), text=o, fraction=D(f))
                for i, (o, f) in enumerate(zip(options, fractions, strict=True))
            ),
        )
    )


class TestExport:
    def test_writes_the_standard_layout(self):
        data = aiken.export([single("0", "1", text="火警电话？", options=["110", "119"])])

        assert data.decode("utf-8") == "火警电话？\nA. 110\nB. 119\nANSWER: B\n"

    def test_leaves_out_what_aiken_cannot_say_and_never_raises(self):
        multi = gift.parse(b"Pick {~%50%a ~%50%b}").questions[0]
        essay = gift.parse(b"Write {}").questions[0]
        partial = single("1", "0.5", "0")
        two_right = single("1", "1")
        looks_like_option = single("1", "0", text="A. is this the question?")
        many = single("1", *["0"] * 26)
        kept = single("0", "1")
        questions = [multi, essay, partial, two_right, looks_like_option, many, kept]

        data = aiken.export(questions)

        assert aiken.skipped(questions) == questions[:-1]
        assert [q.spec for q in aiken.parse(data).questions] == [kept.spec]

    def test_nothing_exportable_gives_an_empty_file(self):
        essay = gift.parse(b"Write {}").questions[0]

        assert aiken.export([essay]) == b""
        assert aiken.skipped([essay]) == [essay]

    def test_markup_is_written_as_plain_text(self):
        rich = ParsedQuestion(
            spec=qspec.QuestionSpec(
                qtype=qspec.SINGLE,
                text="<p>Which is <b>safe</b>?</p><p>Pick one.</p>",
                choices=(
                    qspec.Choice(key="a", text="<i>This</i> &amp; that", fraction=D(1)),
                    qspec.Choice(key="b", text="<p>Other</p>", fraction=D(0)),
                ),
                general_feedback="<p>dropped</p>",
            )
        )

        data = aiken.export([rich]).decode("utf-8")

        assert data == "Which is safe?\nPick one.\nA. This & that\nB. Other\nANSWER: A\n"

    def test_round_trip_of_several(self):
        questions = aiken.parse(TWO.encode()).questions

        again = aiken.parse(aiken.export(questions)).questions

        assert [q.spec for q in again] == [q.spec for q in questions]
