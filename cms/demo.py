"""Demo organisation: a provincial committee, two districts, three branches and users."""

from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model

from . import roles
from .models import Unit
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
