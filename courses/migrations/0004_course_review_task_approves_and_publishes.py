""""Course review" gets its own step, ``CourseReviewTask``: a group approval where nobody
approves their own work and an approval publishes what was approved. Approvers need no
publish permission any more, so the publish permission that 0003 gave Managers on the
course section is taken back: below the superuser, nothing goes live without review.
"""

import django.db.models.deletion
from django.db import migrations, models

WORKFLOW_NAME = "Course review"
ROLES_WITHOUT_PUBLISH = ("Managers", "Trainers")


def _course_tree_pages(apps):
    """Course sections, what is below them and what is above them (a permission on an
    ancestor reaches the section too)."""
    Page = apps.get_model("wagtailcore.Page")
    CourseIndexPage = apps.get_model("courses.CourseIndexPage")
    paths = list(CourseIndexPage.objects.values_list("path", flat=True))
    query = models.Q(pk__in=[])
    for path in paths:
        ancestors = [path[:end] for end in range(4, len(path) + 1, 4)]
        query |= models.Q(path__startswith=path) | models.Q(path__in=ancestors)
    return Page.objects.filter(query)


def forward(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Group = apps.get_model("auth.Group")
    GroupPagePermission = apps.get_model("wagtailcore.GroupPagePermission")
    Workflow = apps.get_model("wagtailcore.Workflow")
    WorkflowTask = apps.get_model("wagtailcore.WorkflowTask")
    TaskState = apps.get_model("wagtailcore.TaskState")
    GroupApprovalTask = apps.get_model("wagtailcore.GroupApprovalTask")
    CourseReviewTask = apps.get_model("courses.CourseReviewTask")

    GroupPagePermission.objects.filter(
        group__name__in=ROLES_WITHOUT_PUBLISH,
        permission__codename="publish_page",
        page__in=_course_tree_pages(apps),
    ).delete()

    workflow = Workflow.objects.filter(name=WORKFLOW_NAME).first()
    if workflow is None:
        return
    review_ct, _ = ContentType.objects.get_or_create(app_label="courses", model="coursereviewtask")
    for link in WorkflowTask.objects.filter(workflow=workflow).order_by("sort_order"):
        old = GroupApprovalTask.objects.filter(pk=link.task_id).first()
        if old is None or CourseReviewTask.objects.filter(pk=link.task_id).exists():
            continue
        new = CourseReviewTask.objects.create(name=old.name, active=True, content_type=review_ct)
        groups = list(old.groups.all()) or list(Group.objects.filter(name="Managers"))
        new.groups.set(groups)
        link.task_id = new.pk
        link.save(update_fields=["task"])
        TaskState.objects.filter(
            task_id=old.pk, workflow_state__workflow=workflow, status="in_progress"
        ).update(task_id=new.pk)
        if not WorkflowTask.objects.filter(task_id=old.pk).exists():
            old.active = False
            old.save(update_fields=["active"])


def backward(apps, schema_editor):
    """Back to a plain group approval, and Managers publish again (as before 0004)."""
    ContentType = apps.get_model("contenttypes.ContentType")
    Permission = apps.get_model("auth.Permission")
    Group = apps.get_model("auth.Group")
    GroupPagePermission = apps.get_model("wagtailcore.GroupPagePermission")
    WorkflowTask = apps.get_model("wagtailcore.WorkflowTask")
    TaskState = apps.get_model("wagtailcore.TaskState")
    GroupApprovalTask = apps.get_model("wagtailcore.GroupApprovalTask")
    CourseReviewTask = apps.get_model("courses.CourseReviewTask")
    CourseIndexPage = apps.get_model("courses.CourseIndexPage")

    approval_ct, _ = ContentType.objects.get_or_create(
        app_label="wagtailcore", model="groupapprovaltask"
    )
    for task in CourseReviewTask.objects.all():
        old = GroupApprovalTask.objects.create(
            name=task.name, active=task.active, content_type=approval_ct
        )
        old.groups.set(task.groups.all())
        WorkflowTask.objects.filter(task_id=task.pk).update(task_id=old.pk)
        TaskState.objects.filter(task_id=task.pk).update(task_id=old.pk)
    page_ct, _ = ContentType.objects.get_or_create(app_label="wagtailcore", model="page")
    publish, _ = Permission.objects.get_or_create(
        content_type=page_ct, codename="publish_page", defaults={"name": "Can publish any page"}
    )
    managers, _ = Group.objects.get_or_create(name="Managers")
    for section in CourseIndexPage.objects.all():
        GroupPagePermission.objects.get_or_create(group=managers, page=section, permission=publish)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("courses", "0003_managers_publish_course_section"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [
        migrations.CreateModel(
            name="CourseReviewTask",
            fields=[
                (
                    "task_ptr",
                    models.OneToOneField(
                        auto_created=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        parent_link=True,
                        primary_key=True,
                        serialize=False,
                        to="wagtailcore.task",
                    ),
                ),
                (
                    "groups",
                    models.ManyToManyField(
                        help_text=(
                            "Pages/snippets at this step in a workflow will be moderated or "
                            "approved by these groups of users"
                        ),
                        to="auth.group",
                        verbose_name="groups",
                    ),
                ),
            ],
            options={
                "verbose_name": "course review task",
                "verbose_name_plural": "course review tasks",
            },
            bases=("wagtailcore.task",),
        ),
        migrations.RunPython(forward, backward),
    ]
