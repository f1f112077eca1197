"""``exams.quizzes.formats.gift``: every GIFT construct, the round trip, bad files."""

from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.html import escape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exams.quizzes import spec as qspec
from exams.quizzes.formats import gift
from exams.quizzes.formats.base import FormatError, ParsedQuestion
from exams.quizzes.richtext import from_plain_text
from exams.quizzes.validation import spec_errors

SAMPLE = Path(gift.__file__).resolve().parent.parent / "demo_files" / "sample.gift.txt"
D = Decimal


@pytest.fixture(autouse=True)
def _english():
    """Messages in English, so that the tests read the source strings."""
    with translation.override("en"):
        yield


def parse_one(source: str) -> qspec.QuestionSpec:
    result = gift.parse(source.encode())
    assert result.problems == []
    assert len(result.questions) == 1
    return result.questions[0].spec


def only_problem(source: str):
    result = gift.parse(source.encode())
    assert result.questions == []
    assert len(result.problems) == 1
    return result.problems[0]


def round_trip(questions: list[ParsedQuestion]) -> list[ParsedQuestion]:
    again = gift.parse(gift.export(questions))
    assert again.problems == []
    return again.questions


def p(text: str) -> str:
    return from_plain_text(text)


class TestSingleChoice:
    def test_options_keys_fractions_feedback_and_title(self):
        spec = parse_one(
            "::Tomb:: Who's buried in Grant's tomb?{~Grant#No. ~Jefferson =no one#Yes! "
            "####It is a mausoleum.}"
        )

        assert spec.qtype == qspec.SINGLE
        assert spec.name == "Tomb"
        assert spec.text == p("Who's buried in Grant's tomb?")
        assert [(c.key, c.text, c.fraction, c.feedback) for c in spec.choices] == [
            ("a", "Grant", D(0), "No."),
            ("b", "Jefferson", D(0), ""),
            ("c", "no one", D(1), "Yes!"),
        ]
        assert spec.general_feedback == p("It is a mausoleum.")

    def test_answers_on_their_own_lines_with_partial_credit(self):
        spec = parse_one("Pick one {\n  =right\n  ~%50%half right\n  ~wrong\n}")

        assert [(c.text, c.fraction) for c in spec.choices] == [
            ("right", D(1)),
            ("half right", D("0.5")),
            ("wrong", D(0)),
        ]

    def test_missing_word_puts_a_blank_where_the_braces_were(self):
        spec = parse_one("Grant is {~buried =entombed ~living} in Grant's tomb.")

        assert spec.qtype == qspec.SINGLE
        assert spec.text == p("Grant is _____ in Grant's tomb.")
        assert [c.fraction for c in spec.choices] == [D(0), D(1), D(0)]

    def test_no_title_leaves_the_name_empty_for_the_bank_to_fill(self):
        assert parse_one("Two plus two? {=4 ~5}").name == ""


class TestMultipleResponse:
    def test_weights_including_negative(self):
        spec = parse_one("Which are fruit? {~%50%apple ~%50%pear ~%-100%stone}")

        assert spec.qtype == qspec.MULTI
        assert [(c.key, c.fraction) for c in spec.choices] == [
            ("a", D("0.5")),
            ("b", D("0.5")),
            ("c", D(-1)),
        ]

    def test_moodles_repeating_thirds_add_up_to_exactly_one(self):
        spec = parse_one("Pick three {~%33.33333%a ~%33.33333%b ~%33.33333%c ~%-100%d}")

        assert sum(c.fraction for c in spec.choices if c.fraction > 0) == D(1)
        assert spec_errors(spec) == []

    def test_weights_that_do_not_add_up_are_a_problem(self):
        problem = only_problem("Pick {~%50%a ~%20%b ~c}")

        assert problem.line == 1
        assert "add up to 100%" in problem.message


class TestTrueFalse:
    @pytest.mark.parametrize(
        ("answer", "true_fraction"),
        [("T", 1), ("TRUE", 1), ("F", 0), ("FALSE", 0), ("true", 1), ("f", 0)],
    )
    def test_every_spelling(self, answer, true_fraction):
        spec = parse_one(f"The sun is hot.{{{answer}}}")

        assert spec.qtype == qspec.TRUEFALSE
        fractions = {c.key: c.fraction for c in spec.choices}
        assert fractions == {"true": D(true_fraction), "false": D(1 - true_fraction)}

    def test_first_feedback_for_a_wrong_answer_second_for_a_right_one(self):
        spec = parse_one("Fire exits may be locked.{FALSE#They must open.#Right.####Law.}")

        by_key = {c.key: c for c in spec.choices}
        assert by_key["false"].fraction == D(1)
        assert by_key["false"].feedback == "Right."
        assert by_key["true"].feedback == "They must open."
        assert spec.general_feedback == p("Law.")

    def test_options_have_no_text_for_the_page_labels_them_in_the_members_language(self):
        spec = parse_one("Smoke rises.{T}")

        assert [(c.key, c.text) for c in spec.choices] == [("true", ""), ("false", "")]


class TestShortAnswer:
    def test_several_answers_partial_credit_wildcard_and_feedback(self):
        spec = parse_one("Who's buried there? {=no one#Yes =nobody =%50%*body#Almost}")

        assert spec.qtype == qspec.SHORTANSWER
        assert spec.case_sensitive is False
        assert [(a.text, a.fraction, a.feedback) for a in spec.text_answers] == [
            ("no one", D(1), "Yes"),
            ("nobody", D(1), ""),
            ("*body", D("0.5"), "Almost"),
        ]

    def test_a_single_answer_that_reads_like_true_is_still_short_answer(self):
        spec = parse_one("Write the letter T. {=T}")

        assert spec.qtype == qspec.SHORTANSWER
        assert spec.text_answers[0].text == "T"


class TestNumerical:
    def test_value_and_tolerance(self):
        spec = parse_one("Pi to two places? {#3.14:0.01}")

        assert spec.qtype == qspec.NUMERICAL
        assert [(a.value, a.tolerance, a.fraction) for a in spec.numeric_answers] == [
            (D("3.14"), D("0.01"), D(1))
        ]

    def test_a_range_is_its_middle_plus_or_minus_half_the_width(self):
        spec = parse_one("A number from 1 to 5? {#1..5}")

        assert [(a.value, a.tolerance) for a in spec.numeric_answers] == [(D(3), D(2))]

    def test_several_answers_with_fractions_feedback_and_wrong_answer_feedback(self):
        spec = parse_one("When was Grant born? {#\n=1822:0#Exactly.\n=%50%1822:2#Close.\n~#No.\n}")

        assert [(a.value, a.tolerance, a.fraction, a.feedback) for a in spec.numeric_answers] == [
            (D(1822), D(0), D(1), "Exactly."),
            (D(1822), D(2), D("0.5"), "Close."),
        ]
        assert spec.incorrect_feedback == p("No.")

    def test_an_exact_value_has_zero_tolerance(self):
        spec = parse_one("How many? {#-12}")

        assert [(a.value, a.tolerance) for a in spec.numeric_answers] == [(D(-12), D(0))]

    @pytest.mark.parametrize("answers", ["#abc", "#3.14:x", "#NaN", "#1..Infinity", "#2,5"])
    def test_not_a_number_is_a_problem(self, answers):
        problem = only_problem(f"Bad number {{{answers}}}")

        assert problem.line == 1
        assert problem.message.endswith("is not a number.")

    def test_no_answer_at_all_is_a_problem(self):
        problem = only_problem("No number {#}")

        assert problem.message.startswith("A numerical question needs at least one answer")


class TestMatching:
    def test_pairs_and_a_distractor(self):
        spec = parse_one(
            "Match the capitals. {\n=Canada -> Ottawa\n=Italy -> Rome\n=Japan -> Tokyo\n"
            "= -> Paris\n####Four answers, three prompts.}"
        )

        assert spec.qtype == qspec.MATCHING
        assert [(pair.key, pair.prompt, pair.answer) for pair in spec.pairs] == [
            ("p1", "Canada", "Ottawa"),
            ("p2", "Italy", "Rome"),
            ("p3", "Japan", "Tokyo"),
            ("p4", "", "Paris"),
        ]
        assert spec.general_feedback == p("Four answers, three prompts.")

    def test_a_pair_without_an_arrow_is_a_problem(self):
        problem = only_problem("Match {=a -> 1 =b 2 =c -> 3}")

        assert "=prompt -> answer" in problem.message


class TestEssay:
    def test_empty_braces(self):
        spec = parse_one("::Essay:: Describe a fire drill. {}")

        assert spec.qtype == qspec.ESSAY
        assert spec.text == p("Describe a fire drill.")

    def test_general_feedback_only(self):
        spec = parse_one("Describe a hazard. {####Look for a concrete cause.}")

        assert spec.qtype == qspec.ESSAY
        assert spec.general_feedback == p("Look for a concrete cause.")


class TestFileStructure:
    def test_categories_comments_and_line_numbers(self):
        source = (
            "// A bank\n"  # 1
            "$CATEGORY: $course$/top/安全/消防\n"  # 2
            "\n"  # 3
            "// the first question\n"  # 4
            "::q1:: One? {=1 ~2}\n"  # 5
            "\n"  # 6
            "::q2:: Two?\n"  # 7
            "{=2 ~3}\n"  # 8
            "\n"  # 9
            "$CATEGORY: 用电/Wiring\n"  # 10
            "::q3:: Three? {=3 ~4}\n"  # 11
            "\n"
            "$CATEGORY: $course$/top\n"
            "\n"
            "::q4:: Four? {=4 ~5}\n"  # 15
        )

        result = gift.parse(source.encode())

        assert result.problems == []
        assert [(q.spec.name, q.category, q.line) for q in result.questions] == [
            ("q1", ("安全", "消防"), 5),
            ("q2", ("安全", "消防"), 7),
            ("q3", ("用电", "Wiring"), 11),
            ("q4", (), 15),
        ]

    def test_a_double_slash_is_a_slash_inside_a_category_name(self):
        result = gift.parse(b"$CATEGORY: $course$/top/In//Out/Doors\n\nQ {=a ~b}\n")

        assert result.questions[0].category == ("In/Out", "Doors")

    def test_escaped_special_characters_are_text(self):
        spec = parse_one(r"Escapes \{ \} \= \~ \# \: \\ here {=a\=b#c\#d ~x\~y}")

        assert spec.text == p("Escapes { } = ~ # : \\ here")
        assert [c.text for c in spec.choices] == ["a=b", "x~y"]
        assert spec.choices[0].feedback == "c#d"

    def test_a_backslash_n_is_a_new_paragraph(self):
        assert parse_one(r"Line one\nLine two {=a ~b}").text == "<p>Line one</p><p>Line two</p>"

    def test_a_question_over_several_lines_keeps_its_lines_as_paragraphs(self):
        assert parse_one("First line\nsecond line {=a ~b}").text == p("First line\nsecond line")


class TestTextFormats:
    def test_html_is_whitelisted_and_answers_inherit_it(self):
        spec = parse_one("[html]<p>Which is <b>safe</b>?</p>{=<i>This</i>#<b>Yes</b> ~That}")

        assert spec.text == "<p>Which is <b>safe</b>?</p>"
        assert spec.choices[0].text == "<i>This</i>"
        assert spec.choices[0].feedback == "<b>Yes</b>"

    @pytest.mark.parametrize("fmt", ["[plain]", "[markdown]", "[moodle]", ""])
    def test_other_formats_are_plain_text_escaped(self, fmt):
        spec = parse_one(f"{fmt}Is <b>this</b> & that **bold**? {{=yes ~no}}")

        assert spec.text == "<p>Is &lt;b&gt;this&lt;/b&gt; &amp; that **bold**?</p>"

    def test_an_answer_may_carry_its_own_format(self):
        spec = parse_one("Plain question {=[html]<b>bold</b> ~<b>not</b>}")

        assert spec.choices[0].text == "<b>bold</b>"
        assert spec.choices[1].text == "&lt;b&gt;not&lt;/b&gt;"

    def test_an_unknown_bracket_word_is_text(self):
        assert parse_one("[Important] Read this {=a ~b}").text == p("[Important] Read this")

    def test_scripts_and_event_handlers_are_removed_everywhere(self):
        # As Moodle writes HTML into GIFT: "=" and ":" escaped.
        source = (
            r'::xss::[html]<p>Safe?<script>alert(1)</script><img src\="x" onerror\="alert(2)">'
            r'</p>{=<a href\="#" onclick\="alert(3)">this</a>\#<script>x()</script>ok'
            r" ~<iframe src\=//evil></iframe>that ####<b onmouseover\=alert(4)>gf</b>}"
        )

        spec = parse_one(source)

        assert "Safe?" in spec.text
        assert_harmless([spec])

    def test_unescaped_attributes_end_up_as_text_not_as_markup(self):
        source = '[html]<p>Q</p>{=<a href="#" onclick="alert(3)">this</a> ~<b onload=x()>b</b>}'

        result = gift.parse(source.encode())

        assert len(result.questions) == 1
        assert_harmless([q.spec for q in result.questions])


class _Markup(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attributes = set(), set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attributes.update(name for name, _value in attrs)


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list | tuple):
        return [text for item in value for text in _strings(item)]
    return []


def assert_harmless(specs: list[qspec.QuestionSpec]) -> None:
    """No script, frame or event-handler attribute in any text of ``specs``."""
    texts = _strings([qspec.spec_to_dict(spec) for spec in specs])
    markup = _Markup()
    for text in texts:
        markup.feed(text)
    assert not any("<script" in text.lower() for text in texts)
    assert not markup.tags & {"script", "iframe", "object", "embed", "style"}
    assert not [name for name in markup.attributes if name.startswith("on")]


class TestProblems:
    def test_unbalanced_braces_are_a_problem_with_its_line_and_the_rest_is_read(self):
        source = (
            "Good one {=a ~b}\n\nBroken { =a ~b\nstill broken\n\nAlso broken =a }\n\nGood {T}\n"
        )

        result = gift.parse(source.encode())

        assert [q.line for q in result.questions] == [1, 8]
        assert [(problem.line, problem.message) for problem in result.problems] == [
            (3, "Unbalanced braces: every { needs a matching }."),
            (6, "Unbalanced braces: every { needs a matching }."),
        ]

    def test_two_questions_without_a_blank_line_between(self):
        problem = only_problem("First? {T}\nSecond? {F}")

        assert "blank line" in problem.message

    @pytest.mark.parametrize(
        ("answers", "message"),
        [
            ("{just words}", "Unknown answer syntax “{just words}”"),
            ("{%50%a}", "Unknown answer syntax"),
            ("{-> a}", "Unknown answer syntax"),
            ("{1:SHORTANSWER:=a~b}", "Unexpected text “1:SHORTANSWER:” before the first answer"),
        ],
    )
    def test_unknown_answer_syntax_is_a_problem(self, answers, message):
        problem = only_problem(f"What now? {answers}")

        assert problem.line == 1
        assert problem.message.startswith(message)

    def test_text_before_the_first_choice_is_a_problem(self):
        problem = only_problem("What? {stray ~a =b}")

        assert "before the first answer" in problem.message

    def test_a_title_that_is_not_closed(self):
        problem = only_problem("::Title without end Question {=a ~b}")

        assert "::" in problem.message

    def test_a_question_the_bank_would_refuse_carries_the_validation_messages(self):
        result = gift.parse(b"// c\n\n\n::bad:: Nothing is right {~a ~b}\n\n::ok:: Fine {=a ~b}\n")

        assert [q.spec.name for q in result.questions] == ["ok"]
        assert [(problem.line, problem.message) for problem in result.problems] == [
            (4, "The right options' grades must add up to 100%.")
        ]

    def test_a_choice_question_with_one_option_is_a_problem(self):
        problem = only_problem("Only one option {~%100%a}")

        assert problem.message == "A choice question needs at least two options."

    def test_no_question_text_is_a_problem(self):
        assert only_problem("{=a ~b}").message == "The question has no text."

    def test_text_without_answers_is_an_unsupported_description(self):
        result = gift.parse(b"Just an introduction.\n\nQ {=a ~b}\n")

        assert len(result.questions) == 1
        assert result.unsupported == {"description": 1}
        assert [(problem.line, problem.qtype) for problem in result.problems] == [
            (1, "description")
        ]


class TestBadFiles:
    @pytest.mark.parametrize(
        ("data", "message"),
        [
            (b"", "The file is empty."),
            (b" \n\n\t\n", "The file is empty."),
            (b"// only a comment\n// and another\n", "No GIFT questions found"),
            (b"$CATEGORY: a/b\n", "No GIFT questions found"),
            (b"Plain prose without any braces.\n\nMore prose.\n", "No GIFT questions found"),
            (b'<?xml version="1.0"?>\n<quiz><question type="essay"/></quiz>\n', "XML"),
            (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "not a text file"),
            (bytes(range(1, 32)) * 50, "not a text file"),
            (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00xl/workbook.xml", "not a text"),
        ],
    )
    def test_refused_as_a_whole(self, data, message):
        with pytest.raises(FormatError, match=message):
            gift.parse(data)

    def test_gb18030_reads_as_utf8_does(self):
        source = SAMPLE.read_text(encoding="utf-8")

        utf8 = gift.parse(source.encode("utf-8"))
        chinese_windows = gift.parse(source.encode("gb18030"))

        assert [q.spec for q in chinese_windows.questions] == [q.spec for q in utf8.questions]
        assert [q.category for q in chinese_windows.questions] == [
            q.category for q in utf8.questions
        ]
        assert "电器设备起火时" in chinese_windows.questions[0].spec.text

    def test_utf8_with_bom_and_windows_line_ends(self):
        data = "\ufeff::灭火::用什么灭油火？\r\n{=灭火毯 ~水}\r\n\r\nQ2 {T}\r\n".encode()

        result = gift.parse(data)

        assert [q.spec.name for q in result.questions] == ["灭火", ""]
        assert [q.line for q in result.questions] == [1, 4]

    def test_ten_thousand_questions(self):
        data = "".join(
            f"::q{n}::Question {n}? {{=yes#right ~no ~maybe}}\n\n" for n in range(10_000)
        ).encode()

        result = gift.parse(data)

        assert len(result.questions) == 10_000
        assert result.problems == []
        assert result.questions[-1].line == 2 * 9_999 + 1
        assert result.questions[-1].spec.name == "q9999"


class TestSampleFile:
    def test_every_gift_type_with_categories_and_no_problem(self):
        result = gift.parse(SAMPLE.read_bytes())

        assert result.problems == []
        assert {q.spec.qtype for q in result.questions} == gift.EXPORT_TYPES
        assert {q.category for q in result.questions} == {
            ("安全生产 Workplace safety", "消防安全 Fire safety"),
            ("安全生产 Workplace safety", "危险化学品 Hazardous chemicals"),
            ("安全生产 Workplace safety", "个人防护 Personal protection"),
        }

    def test_round_trip(self):
        questions = gift.parse(SAMPLE.read_bytes()).questions

        again = round_trip(questions)

        assert [(q.spec, q.category) for q in again] == [(q.spec, q.category) for q in questions]


ONE_OF_EACH = {
    qspec.SINGLE: "::s:: Pick {=a#fa ~%50%b#fb ~c ####g}",
    qspec.MULTI: "::m:: Pick {~%50%a ~%50%b#fb ~%-100%c ####g}",
    qspec.TRUEFALSE: "::t:: True? {TRUE#wrong#right####g}",
    qspec.SHORTANSWER: "::sa:: Say {=yes#y =%50%ye*#half ####g}",
    qspec.NUMERICAL: "::n:: Number {#=3.14:0.01#f =%50%3:1 ~#no ####g}",
    qspec.MATCHING: "::mt:: Match {=a -> 1 =b -> 2 = -> 3 ####g}",
    qspec.ESSAY: "::e:: Write {####g}",
}


class TestRoundTrip:
    @pytest.mark.parametrize("qtype", sorted(ONE_OF_EACH))
    def test_every_gift_type(self, qtype):
        questions = gift.parse(ONE_OF_EACH[qtype].encode()).questions
        assert [q.spec.qtype for q in questions] == [qtype]

        again = round_trip(questions)

        assert [q.spec for q in again] == [q.spec for q in questions]

    @pytest.mark.parametrize(
        "source",
        [
            "FALSE only {F}",
            "Right feedback only {T##right}",
            "Missing {~x =y} word",
            "[html]<p>Rich <b>text</b></p><p>two</p>{=<i>a</i>#<b>f</b> ~b}",
            "[Not a format] text {=a ~b}",
            "Specials {=%50 off ~100% ~[html] literal}",
            r"Escapes \{ \} \= \~ \# \: \\ \n next {=a\=b ~c\#d}",
            "Thirds {~%33.33333%a ~%33.33333%b ~%33.33333%c}",
            "Arrow in a prompt {=a -> b -> c =x -> y}",
            "Range {#1..5}",
            "Big and small {#1E+6:0.000001}",
        ],
    )
    def test_awkward_texts(self, source):
        questions = gift.parse(source.encode()).questions
        assert len(questions) == 1

        again = round_trip(questions)

        assert [q.spec for q in again] == [q.spec for q in questions]

    def test_categories_switch_and_return_to_none(self):
        questions = [
            ParsedQuestion(spec=parse_one("One {=a ~b}"), category=()),
            ParsedQuestion(spec=parse_one("Two {=a ~b}"), category=("A/B", "C")),
            ParsedQuestion(spec=parse_one("Three {=a ~b}"), category=("A/B", "C")),
            ParsedQuestion(spec=parse_one("Four {=a ~b}"), category=()),
        ]

        again = round_trip(questions)

        assert [q.category for q in again] == [(), ("A/B", "C"), ("A/B", "C"), ()]

    def test_gapfill_and_ordering_are_skipped_and_listed(self):
        gapfill = qspec.QuestionSpec(
            qtype=qspec.GAPFILL,
            text=p("Call [[1]] for fire."),
            text_answers=(qspec.TextAnswer(text="119", fraction=D(1), gap=1),),
        )
        ordering = qspec.QuestionSpec(
            qtype=qspec.ORDERING,
            text=p("In order"),
            items=(qspec.OrderItem(key="a", text=p("1")), qspec.OrderItem(key="b", text=p("2"))),
        )
        single = parse_one("Kept {=a ~b}")
        questions = [ParsedQuestion(spec=s) for s in (gapfill, single, ordering)]

        data = gift.export(questions)

        assert gift.skipped(questions) == [questions[0], questions[2]]
        assert [q.spec for q in gift.parse(data).questions] == [single]

    def test_a_short_answer_with_an_arrow_cannot_be_written_and_is_skipped(self):
        spec = qspec.QuestionSpec(
            qtype=qspec.SHORTANSWER,
            text=p("Arrow?"),
            text_answers=(qspec.TextAnswer(text="a->b", fraction=D(1)),),
        )
        questions = [ParsedQuestion(spec=spec)]

        assert gift.skipped(questions) == questions
        with pytest.raises(FormatError):  # nothing but the header comment was written
            gift.parse(gift.export(questions))

    def test_what_gift_cannot_carry_comes_back_as_defaults(self):
        spec = qspec.QuestionSpec(
            qtype=qspec.SHORTANSWER,
            text=p("Case?"),
            default_mark=D(5),
            case_sensitive=True,
            correct_feedback=p("Well done"),
            text_answers=(qspec.TextAnswer(text="ABC", fraction=D(1)),),
        )

        (again,) = round_trip([ParsedQuestion(spec=spec)])

        assert (again.spec.default_mark, again.spec.case_sensitive) == (D(1), False)
        assert again.spec.correct_feedback == ""
        assert again.spec.text_answers == spec.text_answers

    def test_export_is_utf8_text_that_moodle_reads(self):
        data = gift.export([ParsedQuestion(spec=parse_one("::名::中文题目 {=对 ~错}"))])

        assert data.decode("utf-8") == (
            "// GIFT questions (UTF-8)\n\n::名::中文题目 {\n\t=对\n\t~错\n}\n"
        )


_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs")) | st.just("\n"), max_size=40
).filter(lambda text: text.strip())
_ANSWER = _TEXT.map(str.strip).filter(lambda text: "->" not in text and "\n" not in text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=20),
    text=_TEXT,
    options=st.lists(_TEXT, min_size=2, max_size=5),
    feedback=st.text(max_size=20),
    answers=st.lists(_ANSWER, min_size=1, max_size=3),
)
def test_any_text_survives_the_round_trip(name, text, options, feedback, answers):
    """Whatever characters a trainer types, export escapes them so that reading the file
    gives the same question back."""
    feedback = "".join(char for char in feedback if char.isprintable())
    choice = qspec.QuestionSpec(
        qtype=qspec.SINGLE,
        name=name.strip(),
        text=p(text),
        general_feedback=p(feedback),
        choices=tuple(
            qspec.Choice(key=gift.choice_key(i), text=escape(o.strip()), fraction=D(int(i == 0)))
            for i, o in enumerate(options)
        ),
    )
    short = qspec.QuestionSpec(
        qtype=qspec.SHORTANSWER,
        text=p(text),
        text_answers=tuple(qspec.TextAnswer(text=a, fraction=D(1)) for a in answers),
    )
    questions = [ParsedQuestion(spec=spec) for spec in (choice, short) if not spec_errors(spec)]

    again = gift.parse(gift.export(questions)) if questions else None

    if again is not None:
        assert again.problems == []
        assert [q.spec for q in again.questions] == [q.spec for q in questions]
