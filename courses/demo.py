"""Demo catalogue: three Chinese courses with lessons of every block kind, one required
for branch BR-E1. Runs after ``media_pipeline.demo`` and uses its lecture when present."""

import io
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.utils import timezone
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.rich_text import RichText

from cms.models import HomePage, Unit
from media_pipeline.demo import DEMO_TITLE
from media_pipeline.models import LectureVideo

from .models import CourseAssignment, CourseIndexPage, CoursePage, Enrolment, LessonPage, Topic
from .services import assignment_create, enrolment_create, lesson_complete

SECTION_SLUG = "courses"

TOPICS = [("党建", "party-building"), ("安全生产", "work-safety"), ("数字技能", "digital-skills")]

COURSES = [
    {
        "slug": "grassroots-party-building-it",
        "title": "基层党建信息化建设",
        "summary": "面向支部书记和党务工作者：用信息化手段做好组织生活、党员教育和基础台账。",
        "topic": "party-building",
        "tags": ["支部工作", "信息化"],
        "credit_hours": Decimal("4.0"),
        "estimated_minutes": 90,
        "enforce_order": True,
        "allow_download": True,
        "colour": (179, 38, 30),
    },
    {
        "slug": "work-safety-basics",
        "title": "安全生产基础知识",
        "summary": "安全生产责任制、隐患排查和应急处置的基本要求。",
        "topic": "work-safety",
        "tags": ["安全"],
        "credit_hours": Decimal("2.0"),
        "estimated_minutes": 45,
        "enforce_order": False,
        "allow_download": False,
        "colour": (31, 122, 58),
    },
    {
        "slug": "digital-office-skills",
        "title": "数字化办公技能提升",
        "summary": "在线文档协作、电子表格统计和信息安全常识。",
        "topic": "digital-skills",
        "tags": ["信息化", "办公"],
        "credit_hours": Decimal("3.0"),
        "estimated_minutes": 60,
        "enforce_order": False,
        "allow_download": False,
        "colour": (29, 78, 137),
    },
]


def _image(title: str, colour: tuple[int, int, int]):
    Image = get_image_model()
    existing = Image.objects.filter(title=title).first()
    if existing is not None:
        return existing
    from PIL import Image as PILImage
    from PIL import ImageDraw

    # A designed-looking cover, not a flat block: the course's colour fading to a lighter
    # shade, with soft rings (drawn, so no binary is committed and no font is needed).
    width, height = 640, 360
    light = tuple(min(255, c + 110) for c in colour)
    # A diagonal gradient: rotate a larger one, then cut the middle (no empty corners).
    image = PILImage.linear_gradient("L").resize((2 * width, 2 * width)).rotate(-30)
    image = image.crop((width // 2, width - height // 2, width // 2 + width, width + height // 2))
    image = PILImage.composite(
        PILImage.new("RGB", (width, height), light),
        PILImage.new("RGB", (width, height), colour),
        image,
    )
    draw = ImageDraw.Draw(image, "RGBA")
    for i, (x, y, r) in enumerate(((520, 60, 150), (470, 300, 90), (90, 330, 120))):
        draw.ellipse((x - r, y - r, x + r, y + r), outline=(255, 255, 255, 90), width=10 + 6 * i)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return Image.objects.create(
        title=title, file=ImageFile(ContentFile(buffer.getvalue()), name=f"{title}.png")
    )


def _document(title: str):
    Document = get_document_model()
    existing = Document.objects.filter(title=title).first()
    if existing is not None:
        return existing
    text = f"{title}\n\n1. 学习目标\n2. 要点\n3. 课后练习\n".encode()
    return Document.objects.create(title=title, file=ContentFile(text, name="handout.txt"))


def _demo_video():  # made by media_pipeline's seeder, which runs before this one
    return LectureVideo.objects.filter(title=DEMO_TITLE).order_by("pk").first()


def _lessons(spec: dict, *, cover, video) -> list[tuple[str, str, list, bool, int]]:
    """(slug, title, body, required, minutes) for each lesson of a course."""
    handout = _document(f"{spec['title']} 讲义")
    intro = [
        (
            "text",
            RichText(f"<h2>课程导读</h2><p>{spec['summary']}</p><p>本课共三讲，请按顺序学习。</p>"),
        ),
        ("image", {"image": cover, "caption": "课程封面"}),
        ("callout", {"kind": "tip", "text": RichText("<p>网络较慢时，可先阅读讲义。</p>")}),
    ]
    lecture = [("text", RichText("<p>请观看下面的讲座视频，看完即视为完成本讲。</p>"))]
    if video is not None:
        lecture.append(("lecture_video", {"video": video, "caption": "第一讲 讲座"}))
    else:
        lecture.append(("text", RichText("<p>（讲座视频正在准备中。）</p>")))
    reading = [
        ("quote", {"quote": "学而不思则罔，思而不学则殆。", "attribution": "《论语》"}),
        ("document", {"document": handout, "title": "下载讲义"}),
        ("callout", {"kind": "warning", "text": RichText("<p>完成本讲后请点击“标记为完成”。</p>")}),
    ]
    return [
        ("intro", "第一讲 课程导读", intro, True, 10),
        ("lecture", "第二讲 专题讲座", lecture, video is not None, 20),
        ("reading", "第三讲 阅读与讲义", reading, True, 15),
    ]


def _section() -> CourseIndexPage:
    section = CourseIndexPage.objects.filter(slug=SECTION_SLUG).first()
    if section is not None:
        return section
    home = HomePage.objects.first()
    section = CourseIndexPage(title="课程", slug=SECTION_SLUG)
    home.add_child(instance=section)
    section.save_revision().publish()
    return section


def _course(section: CourseIndexPage, spec: dict, *, trainer, video) -> CoursePage:
    course = CoursePage.objects.filter(slug=spec["slug"]).first()
    if course is not None:
        return course
    cover = _image(spec["title"], spec["colour"])
    course = CoursePage(
        title=spec["title"],
        slug=spec["slug"],
        summary=spec["summary"],
        cover=cover,
        topic=Topic.objects.get(slug=spec["topic"]),
        credit_hours=spec["credit_hours"],
        estimated_minutes=spec["estimated_minutes"],
        enforce_order=spec["enforce_order"],
        allow_download=spec["allow_download"],
        audience_everyone=True,
    )
    section.add_child(instance=course)
    course.tags.add(*spec["tags"])
    if trainer is not None:
        course.trainers.add(trainer)
    course.save_revision(user=trainer).publish()
    for slug, title, body, required, minutes in _lessons(spec, cover=cover, video=video):
        lesson = LessonPage(
            title=title,
            slug=slug,
            body=body,
            required_for_completion=required,
            estimated_minutes=minutes,
        )
        course.add_child(instance=lesson)
        lesson.save_revision(user=trainer).publish()
    return course


def seed(*, stdout) -> None:
    User = get_user_model()
    for name, slug in TOPICS:
        Topic.objects.get_or_create(slug=slug, defaults={"name": name})
    section = _section()
    trainer = User.objects.filter(username="trainer").first()
    video = _demo_video()
    courses = [_course(section, spec, trainer=trainer, video=video) for spec in COURSES]

    # Required for branch BR-E1, assigned by its manager.
    branch = Unit.objects.filter(code="BR-E1").first()
    manager = User.objects.filter(username="manager_branch").first()
    required = courses[0]
    if (
        branch is not None
        and manager is not None
        and not CourseAssignment.objects.filter(
            course=required, unit=branch, withdrawn_at=None
        ).exists()
    ):
        assignment_create(
            course=required,
            unit=branch,
            due_date=timezone.localdate() + timedelta(days=30),
            assigned_by=manager,
        )

    # member1 has started the safety course on their own.
    member = User.objects.filter(username="member1").first()
    if member is not None and not Enrolment.objects.filter(user=member, course=courses[1]).exists():
        enrolment_create(user=member, course=courses[1])
        first = LessonPage.objects.child_of(courses[1]).order_by("path").first()
        if first is not None:
            lesson_complete(user=member, lesson=first)

    stdout.write(
        f"courses: {CoursePage.objects.count()} courses, {LessonPage.objects.count()} lessons, "
        f"{CourseAssignment.objects.filter(withdrawn_at=None).count()} active assignments"
        + ("" if video else " (no demo lecture: lessons without video)")
    )
