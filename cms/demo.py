"""Demo organisation: a provincial committee, two districts, three branches and users;
the home page's blocks and two notices (one pinned for everyone, one for a branch)."""

import io
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.utils import timezone
from wagtail.images import get_image_model
from wagtail.rich_text import RichText

from . import roles
from .models import HomePage, NoticeIndexPage, NoticePage, Unit
from .services import member_create, roles_ensure, unit_get_or_create

UNITS = [
    # code, name, parent code, yearly target (None inherits)
    ("PROV", "省委", None, Decimal("32")),
    ("DIST-E", "东城区委", "PROV", None),
    ("DIST-W", "西城区委", "PROV", None),
    ("BR-E1", "东城第一支部", "DIST-E", None),
    ("BR-E2", "东城第二支部", "DIST-E", None),
    ("BR-W1", "西城第一支部", "DIST-W", Decimal("40")),
]

USERS = [
    # username, full name, unit code, role
    ("member1", "张伟", "BR-E1", roles.MEMBERS),
    ("member2", "王芳", "BR-E1", roles.MEMBERS),
    ("member3", "李娜", "BR-E1", roles.MEMBERS),
    ("member4", "刘洋", "BR-E2", roles.MEMBERS),
    ("member5", "陈静", "BR-E2", roles.MEMBERS),
    ("member6", "杨磊", "BR-E2", roles.MEMBERS),
    ("trainer", "赵老师", "PROV", roles.TRAINERS),
    ("manager_district", "孙主任", "DIST-E", roles.MANAGERS),
    ("manager_branch", "周书记", "BR-E1", roles.MANAGERS),
]


def seed(*, stdout) -> None:
    roles_ensure()
    for code, name, parent_code, target in UNITS:
        parent = Unit.objects.get(code=parent_code) if parent_code else None
        unit_get_or_create(name=name, code=code, parent=parent, yearly_target_hours=target)

    User = get_user_model()
    password = settings.DEMO_PASSWORD
    for username, full_name, unit_code, role in USERS:
        if User.objects.filter(username=username).exists():
            continue
        member_create(
            username=username,
            full_name=full_name,
            unit=Unit.objects.get(code=unit_code),
            role=role,
            email=f"{username}@example.org",
            password=password,
        )
    if not User.objects.filter(username="admin").exists():
        User.objects.create_superuser("admin", "admin@example.org", password)
    stdout.write(f"organisation: {Unit.objects.count()} units, {User.objects.count()} users")
    home_seed(stdout=stdout)


NOTICES = [
    # slug, title, body, pinned, audience unit code (None: everyone), days ago
    (
        "study-plan-2026",
        "关于开展年度学习计划的通知",
        "<p>请各支部党员按年度学时目标完成学习，必修课程请在截止日期前完成。</p>",
        True,
        None,
        3,
    ),
    (
        "br-e1-meeting",
        "东城第一支部：本周组织生活会安排",
        "<p>本周五下午三点在支部活动室召开组织生活会，请提前完成“基层党建信息化建设”第一课。</p>",
        False,
        "BR-E1",
        1,
    ),
]


def _banner_image():
    Image = get_image_model()
    title = "首页横幅"
    existing = Image.objects.filter(title=title).first()
    if existing is not None:
        return existing
    from PIL import Image as PILImage
    from PIL import ImageDraw

    picture = PILImage.new("RGB", (1200, 400), (179, 38, 30))
    draw = ImageDraw.Draw(picture)
    for i in range(8):  # a few soft stripes, so that the WebP is not a flat colour
        draw.rectangle((i * 160, 0, i * 160 + 80, 400), fill=(190 - i * 4, 50, 40))
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    return Image.objects.create(
        title=title, file=ImageFile(ContentFile(buffer.getvalue()), name="home-banner.png")
    )


def home_seed(*, stdout) -> None:
    home = HomePage.objects.first()
    if home is None:
        return
    if not home.body.raw_data:
        home.body = [
            (
                "banner",
                {
                    "image": _banner_image(),
                    "heading": "学习新思想，做好新时代的答卷人",
                    "text": "每天一课，随时随地学习；流量不够时也能看。",
                    "link": None,
                },
            ),
            ("member_strip", None),
            ("notices", {"heading": "通知公告", "count": 5}),
            ("featured_courses", {"heading": "推荐课程", "courses": [], "count": 4}),
            ("text", RichText("<h2>学习须知</h2><p>学时按年度统计，完成必修课程后自动计入。</p>")),
        ]
        home.save_revision().publish()
    index = NoticeIndexPage.objects.first()
    if index is None:
        return
    today = timezone.localdate()
    for slug, title, body, pinned, unit_code, days_ago in NOTICES:
        if NoticePage.objects.filter(slug=slug).exists():
            continue
        notice = NoticePage(
            title=title,
            slug=slug,
            body=body,
            pinned=pinned,
            date=today - timedelta(days=days_ago),
        )
        index.add_child(instance=notice)
        if unit_code:
            notice.audience_units.set([Unit.objects.get(code=unit_code)])
        notice.save_revision().publish()
    stdout.write(f"home page: {len(home.body)} blocks, {NoticePage.objects.count()} notices")
