"""The columns of an import file and the names they go by, in English and Chinese."""

import re

from django.utils.translation import gettext_lazy as _

from cms import roles

FIELDS = ("username", "full_name", "unit_code", "role", "email", "phone")
REQUIRED_FIELDS = ("username", "full_name", "unit_code")

FIELD_LABELS = {
    "username": _("username"),
    "full_name": _("full name"),
    "unit_code": _("unit code"),
    "role": _("role"),
    "email": _("e-mail"),
    "phone": _("phone"),
}

# Header names as people write them, compared after ``header_key``.
_HEADER_ALIASES = {
    "username": ["username", "user", "login", "用户名", "账号", "帐号"],
    "full_name": ["full name", "fullname", "name", "姓名"],
    "unit_code": ["unit code", "unit", "单位代码", "单位编码", "单位"],
    "role": ["role", "角色"],
    "email": ["e-mail", "email", "mail", "邮箱", "电子邮箱", "电子邮件"],
    "phone": ["phone", "mobile", "phone number", "手机", "手机号", "手机号码", "电话"],
}

_ROLE_ALIASES = {
    roles.MEMBERS: ["members", "member", "学员"],
    roles.TRAINERS: ["trainers", "trainer", "培训师"],
    roles.MANAGERS: ["managers", "manager", "管理员"],
}


def header_key(text: str) -> str:
    """``" E-Mail *"`` → ``"email"``: case, spaces, ``-``, ``_`` and ``*`` do not matter."""
    return re.sub(r"[\s_\-*]+", "", text).casefold()


HEADER_TO_FIELD = {
    header_key(alias): field for field, aliases in _HEADER_ALIASES.items() for alias in aliases
}
ROLE_BY_NAME = {
    name.casefold(): role for role, aliases in _ROLE_ALIASES.items() for name in aliases
}


def role_resolve(value: str) -> str | None:
    """The group name for a role as written in a file; blank means a member."""
    if not value.strip():
        return roles.MEMBERS
    return ROLE_BY_NAME.get(value.strip().casefold())
