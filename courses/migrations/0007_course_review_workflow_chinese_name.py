"""Workflow and task names are data, so the admin shows them as stored: the review of
courses, "Course review", becomes 课程审核 and its step "Manager approval" 管理员审批;
Wagtail's default workflow and task on the rest of the site, "Moderators approval", become
审核员审批 (the admin's language is Chinese). A name someone has already changed is left
alone. ``courses.services.REVIEW_WORKFLOW_NAME`` finds the workflow by its new name.
"""

from django.db import migrations

RENAMES = [
    ("wagtailcore.Workflow", "Course review", "课程审核"),
    ("wagtailcore.Task", "Manager approval", "管理员审批"),
    ("wagtailcore.Workflow", "Moderators approval", "审核员审批"),
    ("wagtailcore.Task", "Moderators approval", "审核员审批"),
]


def _rename(apps, backwards):
    for model, english, chinese in RENAMES:
        old, new = (chinese, english) if backwards else (english, chinese)
        apps.get_model(model).objects.filter(name=old).update(name=new)


def forward(apps, schema_editor):
    _rename(apps, backwards=False)


def backward(apps, schema_editor):
    _rename(apps, backwards=True)


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0006_lesson_body_without_quiz_link"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(forward, backward)]
