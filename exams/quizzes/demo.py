"""Demo data of the quizzes: a workplace-safety question bank with every question type
and a timed quiz lesson in the demo safety course. Runs after ``courses.demo``;
idempotent (a question is found by category and name, the quiz by its slug)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from courses.models import CoursePage

from . import bank
from . import spec as qspec
from .formats import gift, xlsx
from .models import Question, QuestionCategory, QuizLessonPage, QuizSlot, ReviewWhen
from .richtext import from_plain_text

BANK = "安全生产"
COURSE_SLUG = "work-safety-basics"  # courses.demo's safety course
QUIZ_SLUG = "safety-quiz"
RANDOM_POOL = "应急处置"
D = Decimal


def _choices(*rows: tuple[str, str]) -> tuple[qspec.Choice, ...]:
    """(text, grade %[, feedback]) rows as choices keyed a, b, c…"""
    return tuple(
        qspec.Choice(
            key="abcdefgh"[index],
            text=row[0],
            fraction=D(row[1]) / 100,
            feedback=row[2] if len(row) > 2 else "",
        )
        for index, row in enumerate(rows)
    )


def _truefalse(right: bool, *, true_feedback: str, false_feedback: str):
    return (
        qspec.Choice("true", "正确", D(1 if right else 0), true_feedback),
        qspec.Choice("false", "错误", D(0 if right else 1), false_feedback),
    )


#: subcategory → [spec keyword arguments]; ``name`` identifies a question in its category.
QUESTIONS: dict[str, list[dict]] = {
    "消防安全": [
        {
            "qtype": qspec.SINGLE,
            "name": "初起火灾的第一步",
            "text": "发现初起火灾时，首先应当怎么做？",
            "choices": _choices(
                ("立即报警，并呼喊周围人员", "100", "正确：先报警，再视情况扑救。"),
                ("先收拾好个人贵重物品", "0", "生命安全第一，财物可以不要。"),
                ("打开所有门窗通风散烟", "0", "通风会助长火势。"),
                ("乘电梯下楼查看情况", "0", "火灾时严禁乘坐电梯。"),
            ),
            "general_feedback": "发现火情要立即拨打 119 报警，并通知周围人员疏散。",
        },
        {
            "qtype": qspec.TRUEFALSE,
            "name": "电器着火能否用水扑救",
            "text": "电器设备着火时，可以直接用水扑救。",
            "choices": _truefalse(
                False,
                true_feedback="错误：水能导电，带电用水扑救可能造成触电。",
                false_feedback="正确：应先切断电源，再用干粉或二氧化碳灭火器扑救。",
            ),
        },
        {
            "qtype": qspec.GAPFILL,
            "name": "应急电话",
            "text": "我国的火警电话是 [[1]]，医疗急救电话是 [[2]]。",
            "text_answers": (
                qspec.TextAnswer("119", D(1), "", gap=1),
                qspec.TextAnswer("120", D(1), "", gap=2),
            ),
        },
        {
            "qtype": qspec.MATCHING,
            "name": "火灾类型与灭火器",
            "text": "请为每类火灾选择合适的灭火器。",
            "pairs": (
                qspec.MatchPair("p1", "A 类火灾（木材、纸张等固体）", "水基型灭火器"),
                qspec.MatchPair("p2", "B 类火灾（汽油、油漆等液体）", "泡沫灭火器"),
                qspec.MatchPair("p3", "E 类火灾（带电设备）", "二氧化碳灭火器"),
                qspec.MatchPair("p4", "", "清水"),
            ),
        },
    ],
    "用电安全": [
        {
            "qtype": qspec.MULTI,
            "name": "安全用电做法",
            "text": "下列哪些做法符合安全用电要求？（多选）",
            "choices": _choices(
                ("不用湿手触碰开关和插头", "50"),
                ("下班离开时断开办公设备电源", "50"),
                ("私拉乱接临时电线", "-50", "私拉乱接容易引发短路和火灾。"),
                ("用铜丝代替保险丝", "-50", "铜丝不能在过载时熔断，失去保护作用。"),
            ),
        },
        {
            "qtype": qspec.NUMERICAL,
            "name": "安全电压上限",
            "text": "一般环境下，我国规定的安全电压上限是多少伏（V）？",
            "numeric_answers": (qspec.NumericAnswer(D(36), D(0), D(1), "正确：36 伏。"),),
        },
        {
            "qtype": qspec.SHORTANSWER,
            "name": "触电急救第一步",
            "text": "发现有人触电，施救的第一步是什么？（四个字）",
            "text_answers": (
                qspec.TextAnswer("切断电源", D(1), "正确。"),
                qspec.TextAnswer("*断电*", D("0.5"), "意思对了，规范说法是“切断电源”。"),
            ),
        },
    ],
    RANDOM_POOL: [
        {
            "qtype": qspec.ORDERING,
            "name": "火场逃生顺序",
            "text": "请按正确的先后顺序排列火场逃生的步骤。",
            "items": (
                qspec.OrderItem("i1", "发现火情，立即报警"),
                qspec.OrderItem("i2", "用湿毛巾捂住口鼻"),
                qspec.OrderItem("i3", "低姿沿疏散通道撤离"),
                qspec.OrderItem("i4", "到达安全地点后清点人数"),
            ),
        },
        {
            "qtype": qspec.SINGLE,
            "name": "干粉灭火器喷射部位",
            "text": "使用干粉灭火器时，喷嘴应对准哪里？",
            "choices": _choices(("火焰根部", "100"), ("火焰顶部", "0"), ("烟雾最浓处", "0")),
        },
        {
            "qtype": qspec.TRUEFALSE,
            "name": "地震时能否乘电梯",
            "text": "发生地震时，在高层建筑内应立即乘电梯撤离。",
            "choices": _truefalse(
                False,
                true_feedback="错误：地震可能造成停电，被困电梯十分危险。",
                false_feedback="正确：应就近躲避，震后沿楼梯有序撤离。",
            ),
        },
        {
            "qtype": qspec.SINGLE,
            "name": "使触电者脱离电源",
            "text": "发现有人触电且无法立即断电，下列做法正确的是？",
            "choices": _choices(
                ("用干燥的木棍挑开电线", "100"),
                ("直接用手把人拉开", "0"),
                ("用湿布包住手再去拉", "0"),
            ),
        },
        {
            "qtype": qspec.MULTI,
            "name": "急救箱常备物品",
            "text": "办公场所的急救箱中应常备哪些物品？（多选）",
            "choices": _choices(("消毒纱布", "50"), ("医用胶带", "50"), ("打火机", "-100")),
        },
    ],
    "案例分析": [
        {
            "qtype": qspec.ESSAY,
            "name": "办公场所消防管理",
            "text": "结合本单位实际，谈谈如何做好办公场所的消防安全管理（不少于 100 字）。",
            "default_mark": D(5),
            "general_feedback": "可从责任落实、隐患排查、设施维护、培训演练等方面作答。",
        },
    ],
}

#: The quiz's fixed questions (subcategory, name), in order; then 3 drawn from RANDOM_POOL.
FIXED = [
    ("消防安全", "初起火灾的第一步"),
    ("用电安全", "安全用电做法"),
    ("消防安全", "电器着火能否用水扑救"),
    ("消防安全", "应急电话"),
    ("消防安全", "火灾类型与灭火器"),
]
RANDOM_COUNT = 3


def _spec(data: dict) -> qspec.QuestionSpec:
    data = dict(data)
    data["text"] = from_plain_text(data["text"])
    if data.get("general_feedback"):
        data["general_feedback"] = from_plain_text(data["general_feedback"])
    return qspec.QuestionSpec(**data)


def seed_bank(*, user=None) -> dict[tuple[str, str], Question]:
    """The demo bank, created where missing; (subcategory, name) → question."""
    top = bank.category_ensure_path(names=[BANK])
    if not top.description:
        top.description = "Workplace safety: fire, electricity, emergencies."
        top.save(update_fields=["description"])
    questions = {}
    for sub, rows in QUESTIONS.items():
        category = bank.category_ensure_path(names=[sub], parent=top)
        for data in rows:
            question = Question.objects.filter(category=category, name=data["name"]).first()
            if question is None:
                question = bank.question_create(category=category, spec=_spec(data), user=user)
            questions[(sub, data["name"])] = question
    return questions


def seed_quiz(
    *, course: CoursePage, questions: dict, pool: QuestionCategory, user=None
) -> QuizLessonPage:
    quiz = QuizLessonPage.objects.child_of(course).filter(slug=QUIZ_SLUG).first()
    if quiz is not None:
        return quiz
    slots = [QuizSlot(question=questions[key], sort_order=n) for n, key in enumerate(FIXED)]
    slots.append(QuizSlot(category=pool, count=RANDOM_COUNT, sort_order=len(slots)))
    quiz = QuizLessonPage(
        title="课后测验：安全生产",
        slug=QUIZ_SLUG,
        estimated_minutes=10,
        required_for_completion=True,
        time_limit_minutes=10,
        attempts_allowed=2,
        pass_percent=D(60),
        credit_hours=D("0.5"),
        shuffle_questions=True,
        shuffle_options=True,
        closes_at=timezone.now() + timedelta(days=60),
        review_score=ReviewWhen.IMMEDIATELY,
        review_feedback=ReviewWhen.IMMEDIATELY,
        review_answers=ReviewWhen.AFTER_CLOSE,
        slots=slots,
    )
    course.add_child(instance=quiz)
    quiz.save_revision(user=user).publish()
    return quiz


SAMPLES = Path(__file__).resolve().parent / "demo_files"


def write_import_samples(*, folder: Path) -> list[Path]:
    """The sample banks a trainer tries the importers on: the GIFT, Moodle XML and Aiken
    files shipped with the code, and an Excel file made from the GIFT sample by the Excel
    exporter (no binary is committed)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for sample in sorted(SAMPLES.iterdir()):
        target = folder / sample.name
        target.write_bytes(sample.read_bytes())
        written.append(target)
    parsed = gift.parse((SAMPLES / "sample.gift.txt").read_bytes())
    workbook = folder / "sample.xlsx"
    workbook.write_bytes(xlsx.export(parsed.questions))
    written.append(workbook)
    return written


def seed(*, stdout) -> None:
    trainer = get_user_model().objects.filter(username="trainer").first()
    questions = seed_bank(user=trainer)
    pool = QuestionCategory.objects.get(name=RANDOM_POOL, parent__name=BANK)
    course = CoursePage.objects.filter(slug=COURSE_SLUG).first()
    quiz = None
    if course is not None:
        quiz = seed_quiz(course=course, questions=questions, pool=pool, user=trainer)
    types = sorted(set(Question.objects.values_list("qtype", flat=True)))
    stdout.write(
        f"quizzes: {Question.objects.count()} questions ({len(types)} types) in "
        f"{QuestionCategory.objects.count()} categories"
        + (f"; quiz “{quiz.title}” in “{course.title}”" if quiz else "; no demo course: no quiz")
    )
    samples = write_import_samples(folder=Path(settings.VAR_DIR) / "demo-files")
    stdout.write("question files to import: " + ", ".join(str(path) for path in samples))
