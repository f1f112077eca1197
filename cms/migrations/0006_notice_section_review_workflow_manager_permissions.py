"""The notice section under the home page, its review workflow "公告审核", and what
Managers may do: write notices there (add and change, no publish: a notice goes live
through review) and choose images and documents for notices and courses.

``choose_image`` / ``choose_document`` came to Managers only from Wagtail's own
migrations, which give them to every group with admin access that exists when they run:
on a database where our groups were made later, Managers had no chooser. Granted here on
the root collection, whatever order the migrations ran in.
"""

from django.db import migrations

SECTION_SLUG = "notices"
SECTION_TITLE = "通知公告"
WORKFLOW_NAME = "公告审核"
TASK_NAME = "管理员审核公告"
CHOOSER_PERMISSIONS = (
    ("wagtailimages", "image", "choose_image"),
    ("wagtaildocs", "document", "choose_document"),
)
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _permission(apps, app_label, model, codename):
    ContentType = apps.get_model("contenttypes.ContentType")
    Permission = apps.get_model("auth.Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type,
        codename=codename,
        defaults={"name": codename.replace("_", " ")},
    )
    return permission


def _next_child_path(Page, parent) -> str:
    last = Page.objects.filter(path__startswith=parent.path, depth=parent.depth + 1)
    last = last.order_by("-path").first()
    n = int(last.path[-4:], 36) + 1 if last else 1
    step = ""
    while n:
        n, rem = divmod(n, 36)
        step = ALPHABET[rem] + step
    return parent.path + step.rjust(4, "0")


def forward(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    Group = apps.get_model("auth.Group")
    Collection = apps.get_model("wagtailcore.Collection")
    GroupCollectionPermission = apps.get_model("wagtailcore.GroupCollectionPermission")
    GroupPagePermission = apps.get_model("wagtailcore.GroupPagePermission")
    Workflow = apps.get_model("wagtailcore.Workflow")
    WorkflowTask = apps.get_model("wagtailcore.WorkflowTask")
    WorkflowPage = apps.get_model("wagtailcore.WorkflowPage")
    NoticeIndexPage = apps.get_model("cms.NoticeIndexPage")
    NoticeReviewTask = apps.get_model("cms.NoticeReviewTask")

    managers, _ = Group.objects.get_or_create(name="Managers")
    root_collection = Collection.objects.filter(depth=1).first()
    if root_collection is not None:
        for group in Group.objects.filter(name__in=("Managers", "Trainers")):
            for app_label, model, codename in CHOOSER_PERMISSIONS:
                GroupCollectionPermission.objects.get_or_create(
                    group=group,
                    collection=root_collection,
                    permission=_permission(apps, app_label, model, codename),
                )

    home_ct = ContentType.objects.filter(app_label="cms", model="homepage").first()
    home = Page.objects.filter(content_type=home_ct, depth=2).order_by("path").first()
    if home is None:
        return
    section = NoticeIndexPage.objects.filter(path__startswith=home.path, depth=3).first()
    if section is None:
        index_ct, _ = ContentType.objects.get_or_create(app_label="cms", model="noticeindexpage")
        section = NoticeIndexPage.objects.create(
            title=SECTION_TITLE,
            draft_title=SECTION_TITLE,
            slug=SECTION_SLUG,
            content_type=index_ct,
            path=_next_child_path(Page, home),
            depth=3,
            numchild=0,
            url_path=f"{home.url_path}{SECTION_SLUG}/",
            locale_id=home.locale_id,
            live=True,
            intro="",
        )
        home.numchild = Page.objects.filter(path__startswith=home.path, depth=3).count()
        home.save(update_fields=["numchild"])

    task = NoticeReviewTask.objects.filter(name=TASK_NAME).first()
    if task is None:
        task_ct, _ = ContentType.objects.get_or_create(app_label="cms", model="noticereviewtask")
        task = NoticeReviewTask.objects.create(name=TASK_NAME, content_type=task_ct, active=True)
    task.groups.add(managers)
    workflow = Workflow.objects.filter(name=WORKFLOW_NAME).first()
    if workflow is None:
        workflow = Workflow.objects.create(name=WORKFLOW_NAME, active=True)
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    WorkflowPage.objects.update_or_create(page=section, defaults={"workflow": workflow})

    for codename in ("add_page", "change_page"):
        GroupPagePermission.objects.get_or_create(
            group=managers,
            page=section,
            permission=_permission(apps, "wagtailcore", "page", codename),
        )


def backward(apps, schema_editor):
    Page = apps.get_model("wagtailcore.Page")
    Workflow = apps.get_model("wagtailcore.Workflow")
    NoticeReviewTask = apps.get_model("cms.NoticeReviewTask")
    NoticeIndexPage = apps.get_model("cms.NoticeIndexPage")
    Workflow.objects.filter(name=WORKFLOW_NAME).delete()
    NoticeReviewTask.objects.filter(name=TASK_NAME).delete()
    for section in NoticeIndexPage.objects.filter(slug=SECTION_SLUG, numchild=0):
        parent = Page.objects.filter(path=section.path[:-4]).first()
        section.delete()
        if parent is not None:
            parent.numchild = max(0, parent.numchild - 1)
            parent.save(update_fields=["numchild"])


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0005_home_blocks_notice_pages_and_review_task"),
        ("wagtailcore", "0098_apitoken"),
        ("wagtailimages", "0027_image_description"),
        ("wagtaildocs", "0014_alter_document_file_size"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forward, backward)]
