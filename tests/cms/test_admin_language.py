"""The Wagtail admin speaks correct Chinese (issue #12).

- The project's catalogue (locale/) comes first in LOCALE_PATHS, so a msgid it shares with
  Wagtail or Django wins everywhere: ours carry a context (``pgettext``, ``{% translate …
  context … %}``) wherever they mean something else than the admin's ("Pages" is our
  pagination, 分页; Wagtail's sidebar says 页面).
- locale_wagtail/ translates what Wagtail's own zh_Hans catalogues leave in English
  (scripts/wagtail_missing_translations.py lists it).
- The review workflow is named 课程审核 (data: courses migration 0007) and no avatar comes
  from an external service.
"""

from __future__ import annotations

import gettext
import importlib
import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse
from wagtail.models import Task, Workflow, WorkflowState

from cms import roles
from courses.services import REVIEW_WORKFLOW_NAME, enrolment_create, lesson_complete
from tests.courses.factories import course_section, make_course, make_lesson
from tests.exams.quizzes.conftest import make_question, make_quiz

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
OUR_PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def _script():
    """scripts/wagtail_missing_translations.py (its .po reader and its check)."""
    name = "wagtail_missing_translations"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def in_chinese(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "zh-hans"
    return client


def html(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def sidebar_labels(page: str) -> list[str]:
    match = re.search(
        r'<script id="wagtail-sidebar-props" type="application/json">(.*?)</script>', page, re.S
    )
    assert match, "no sidebar"
    labels = []

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("label"), str):
                labels.append(node["label"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(match.group(1)))
    return labels


@pytest.fixture
def people(org, member_factory):
    return {
        "manager": member_factory(org.province, role=roles.MANAGERS, username="manager"),
        "trainer": member_factory(org.province, role=roles.TRAINERS, username="trainer"),
    }


@pytest.fixture
def under_review(people):
    """A course a trainer submitted to 课程审核, waiting for a manager."""
    course = make_course("消防安全", live=False)
    make_lesson(course, "第一课")
    course.save_revision(user=people["trainer"])
    state = course.get_workflow().start(course, people["trainer"])
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    return course, state


ROLES = ["manager", "trainer"]


@pytest.mark.parametrize("role", ROLES)
def test_the_sidebar_says_pages_not_pagination(people, role):
    labels = sidebar_labels(html(in_chinese(people[role]), reverse("wagtailadmin_home")))
    assert "页面" in labels
    assert "分页" not in labels


@pytest.mark.parametrize("role", ROLES)
def test_a_page_under_review_is_in_progress_in_wagtails_words(people, under_review, role):
    course, state = under_review
    client = in_chinese(people[role])
    for url in (
        reverse("wagtailadmin_reports:workflow"),
        reverse("wagtailadmin_pages:workflow_history_detail", args=[course.pk, state.pk]),
    ):
        page = html(client, url)
        assert "进行中" in page, url
        assert "学习中" not in page and "In progress" not in page, url
        assert "课程审核" in page and "Course review" not in page, url


@pytest.mark.parametrize("role", ROLES)
def test_wagtail_strings_wagtail_leaves_in_english_are_chinese(people, under_review, role):
    course, _state = under_review
    client = in_chinese(people[role])
    dashboard = html(client, reverse("wagtailadmin_home"))
    assert 'placeholder="搜索所有页面…"' in dashboard
    assert "Search all pages" not in dashboard

    workflows = html(client, reverse("wagtailadmin_reports:workflow"))
    assert "按任务" in workflows
    assert "By task" not in workflows

    if role == "trainer":  # the author: the editor's autosave indicator
        editor = html(client, reverse("wagtailadmin_pages:edit", args=[course.pk]))
        assert "已保存" in editor
        assert not re.search(r">\s*Saved\s*<", editor)
        assert "保存时间" not in editor  # our question bank's "Saved" column stays ours


def test_the_admin_scripts_get_their_missing_strings_too(people):
    """locale_wagtail/…/djangojs.po reaches the admin's JavaScript catalogue."""
    catalogue = html(in_chinese(people["trainer"]), reverse("wagtailadmin_javascript_catalog"))
    for chinese in ("正在自动保存…", "修改已自动保存。"):
        assert chinese in catalogue or json.dumps(chinese)[1:-1] in catalogue


@pytest.mark.parametrize("role", ROLES)
def test_no_avatar_from_an_external_service(people, under_review, role):
    course, state = under_review
    client = in_chinese(people[role])
    urls = [
        reverse("wagtailadmin_home"),
        reverse("wagtailadmin_explore", args=[course_section().pk]),
        reverse("wagtailadmin_account"),
        reverse("wagtailadmin_reports:workflow"),
        reverse("wagtailadmin_reports:workflow_tasks"),
        reverse("wagtailadmin_pages:workflow_history_detail", args=[course.pk, state.pk]),
    ]
    if role == "trainer":
        urls.append(reverse("wagtailadmin_pages:edit", args=[course.pk]))
    assert settings.WAGTAIL_GRAVATAR_PROVIDER_URL is None
    for url in urls:
        assert "gravatar" not in html(client, url), url
    # the check would see one: with Wagtail's default provider the dashboard links to it
    with override_settings(WAGTAIL_GRAVATAR_PROVIDER_URL="//www.gravatar.com/avatar"):
        assert "gravatar" in html(client, reverse("wagtailadmin_home"))


def test_the_review_workflow_is_named_in_chinese_and_the_migration_goes_both_ways():
    assert REVIEW_WORKFLOW_NAME == "课程审核"
    assert Workflow.objects.filter(name="课程审核", active=True).exists()
    assert not Workflow.objects.filter(name="Course review").exists()
    assert course_section().get_workflow().name == "课程审核"

    migration = importlib.import_module(
        "courses.migrations.0007_course_review_workflow_chinese_name"
    )
    migration.backward(apps, None)
    assert Workflow.objects.filter(name="Course review").exists()
    migration.forward(apps, None)
    assert Workflow.objects.filter(name="课程审核").exists()
    assert not Workflow.objects.filter(name="Course review").exists()
    # the task names too (course review's step, Wagtail's default workflow and task)
    assert Task.objects.filter(name="管理员审批").exists()
    assert not Task.objects.filter(name__in=["Manager approval", "Moderators approval"]).exists()
    assert not Workflow.objects.filter(name="Moderators approval").exists()


# --- our own strings keep their meaning where we use them -------------------------------


def test_our_quiz_still_says_submit_the_paper(org, member_factory):
    member = member_factory(org.branch_a, username="alice")
    course = make_course("测验课程")
    questions = [make_question("truefalse"), make_question("truefalse")]
    quiz = make_quiz(course, questions=questions, questions_per_page=1, navigation="free")
    enrolment_create(user=member, course=course)
    client = in_chinese(member)
    response = client.post(f"/quizzes/{quiz.pk}/start/")
    assert response.status_code == 302
    page = html(client, response["Location"])
    assert re.search(r"data-submit>\s*交卷\s*</button>", page)
    assert 'aria-label="分页"' in page  # the quiz's page numbers


def test_our_catalogue_still_paginates_and_our_course_still_continues(org, member_factory):
    member = member_factory(org.branch_a, username="bob")
    for n in range(13):
        make_course(f"课程 {n}")
    client = in_chinese(member)
    catalogue = html(client, reverse("courses:catalogue"))
    assert 'aria-label="分页"' in catalogue and "下一页" in catalogue

    # a course in order: the second lesson waits (未解锁), then the member continues (继续学习)
    course = make_course("顺序课程", enforce_order=True)
    first, second = make_lesson(course, "第一课"), make_lesson(course, "第二课")
    enrolment_create(user=member, course=course)
    assert "未解锁" in html(client, course.url)
    lesson_complete(user=member, lesson=first)
    assert f"继续学习: {second.title}" in html(client, course.url)


# --- the catalogues ---------------------------------------------------------------------

# Ours differ from the admin's only in wording (same meaning): kept, ours apply everywhere.
SAME_MEANING = {
    # Django / DRF validation messages, reworded
    '"{input}" is not a valid choice.',
    "A valid integer is required.",
    "A valid number is required.",
    "Ensure this value is greater than or equal to {min_value}.",
    "Ensure this value is less than or equal to {max_value}.",
    "Enter a number.",
    "String value too large.",
    "This field is required.",
    "This field may not be null.",
    "The password reset link was invalid, possibly because it has already been used.",
    # labels and headings
    "Collection",  # 收藏集 / Wagtail 集合
    "Filter",  # 筛选 / 过滤器
    "Filters",  # 筛选 / DRF 过滤器
    "ascending",  # 升序 / Django 正排序
    "descending",  # 降序 / Django 倒排序
    "Completed at",  # 完成时间 / Wagtail 完成于
    "created",  # 创建时间 / 创建于
    "Format",  # 格式 / 格式化
    "History",  # 历史记录 / 历史
    "Image",  # 图片 / Django 图像
    "Log out",  # 退出登录 / 注销
    "Name",  # 名称 / 名字
    "name",
    "Not started",  # 未开始 / 未启动
    "Page not found",  # 页面不存在 / 页面没有找到
    "Remove",  # 移除 / 删除
    "Saving…",  # 正在保存… / 正在保存……
    "Search",  # 搜索 / wagtailmedia 查找
    "Summary",  # 概况 / 概要
    "content",  # 内容 / DRF 内容主体
    "created at",  # 创建时间 / 创建于
    "description",  # 说明 / 描述
    "slug",  # URL 别名 / 缩略名
    "started at",  # 开始时间 / 启动于
}


def _our_entries() -> dict[str, str]:
    """Our translated msgids without a context (the ones that can collide)."""
    return {
        entry.msgid: entry.msgstr[0]
        for entry in _script().parse_po(OUR_PO)
        if entry.translated and entry.msgctxt is None and entry.msgid_plural is None
    }


def _theirs() -> dict[str, set[str]]:
    """What Django, every installed app and locale_wagtail translate each msgid to."""
    folders = [Path(importlib.import_module("django").__file__).parent / "conf" / "locale"]
    folders += [Path(app.path) / "locale" for app in apps.get_app_configs()]
    folders.append(ROOT / "locale_wagtail")
    theirs: dict[str, set[str]] = {}
    for folder in folders:
        mo = folder / "zh_Hans" / "LC_MESSAGES" / "django.mo"
        if not mo.exists():
            continue
        with mo.open("rb") as fh:
            for msgid, msgstr in gettext.GNUTranslations(fh)._catalog.items():
                if isinstance(msgid, str) and msgid:
                    theirs.setdefault(msgid, set()).add(msgstr)
    return theirs


def test_our_catalogue_overrides_no_admin_string_with_another_meaning():
    theirs = _theirs()
    overrides = {
        msgid: (ours, sorted(theirs[msgid]))
        for msgid, ours in _our_entries().items()
        if msgid in theirs and ours not in theirs[msgid] and msgid not in SAME_MEANING
    }
    assert not overrides, (
        "give these msgids a context where we use them (pgettext / translate … context …): "
        f"{overrides}"
    )


def test_every_string_wagtail_leaves_untranslated_is_in_locale_wagtail():
    script = _script()
    assert settings.LOCALE_PATHS[1] == ROOT / "locale_wagtail"
    assert script.main([]) == 0, "run scripts/wagtail_missing_translations.py"
