"""The default course section under the home page, the "Course review" workflow on it,
and what the Trainers and Managers groups may do there.

Trainers may add and change pages in the section but not publish: their changes go
through "Course review", approved by a Manager. A second section (another course index
page) is another section: trainers get no rights there unless given them.
"""

from django.db import migrations

SECTION_SLUG = "courses"
WORKFLOW_NAME = "Course review"
TASK_NAME = "Manager approval"


def _permission(apps, app_label, model, codename, name):
    ContentType = apps.get_model("contenttypes.ContentType")
    Permission = apps.get_model("auth.Permission")
    ct, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
    perm, _ = Permission.objects.get_or_create(
        content_type=ct, codename=codename, defaults={"name": name}
    )
    return perm


def create_section(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    Group = apps.get_model("auth.Group")
    CourseIndexPage = apps.get_model("courses.CourseIndexPage")
    Workflow = apps.get_model("wagtailcore.Workflow")
    WorkflowTask = apps.get_model("wagtailcore.WorkflowTask")
    WorkflowPage = apps.get_model("wagtailcore.WorkflowPage")
    GroupApprovalTask = apps.get_model("wagtailcore.GroupApprovalTask")
    GroupPagePermission = apps.get_model("wagtailcore.GroupPagePermission")
    GroupCollectionPermission = apps.get_model("wagtailcore.GroupCollectionPermission")
    Collection = apps.get_model("wagtailcore.Collection")

    home_ct = ContentType.objects.filter(app_label="cms", model="homepage").first()
    home = Page.objects.filter(content_type=home_ct, depth=2).order_by("path").first()
    if home is None:
        return
    trainers, _ = Group.objects.get_or_create(name="Trainers")
    managers, _ = Group.objects.get_or_create(name="Managers")

    index_ct, _ = ContentType.objects.get_or_create(app_label="courses", model="courseindexpage")
    section = CourseIndexPage.objects.filter(path__startswith=home.path, depth=3).first()
    if section is None:
        last_child = Page.objects.filter(path__startswith=home.path, depth=3).order_by("-path")
        last = last_child.first()
        next_step = int(last.path[-4:], 36) + 1 if last else 1
        step = ""
        n = next_step
        alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        while n:
            n, rem = divmod(n, 36)
            step = alphabet[rem] + step
        section = CourseIndexPage.objects.create(
            title="课程",
            draft_title="课程",
            slug=SECTION_SLUG,
            content_type=index_ct,
            path=home.path + step.rjust(4, "0"),
            depth=3,
            numchild=0,
            url_path=f"{home.url_path}{SECTION_SLUG}/",
            locale_id=home.locale_id,
            live=True,
            intro="",
        )
        home.numchild = Page.objects.filter(path__startswith=home.path, depth=3).count()
        home.save(update_fields=["numchild"])

    task_ct, _ = ContentType.objects.get_or_create(app_label="wagtailcore", model="groupapprovaltask")
    task = GroupApprovalTask.objects.filter(name=TASK_NAME).first()
    if task is None:
        task = GroupApprovalTask.objects.create(name=TASK_NAME, content_type=task_ct, active=True)
    task.groups.add(managers)
    workflow = Workflow.objects.filter(name=WORKFLOW_NAME).first()
    if workflow is None:
        workflow = Workflow.objects.create(name=WORKFLOW_NAME, active=True)
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    WorkflowPage.objects.update_or_create(page=section, defaults={"workflow": workflow})

    page_perms = {
        trainers: ("add_page", "change_page"),
        managers: ("change_page",),
    }
    for group, codenames in page_perms.items():
        for codename in codenames:
            perm = _permission(apps, "wagtailcore", "page", codename, codename.replace("_", " "))
            GroupPagePermission.objects.get_or_create(group=group, page=section, permission=perm)

    # Trainers upload and choose covers, figures and handouts.
    root_collection = Collection.objects.filter(depth=1).first()
    if root_collection is not None:
        for app_label, model, codename in (
            ("wagtailimages", "image", "add_image"),
            ("wagtailimages", "image", "choose_image"),
            ("wagtaildocs", "document", "add_document"),
            ("wagtaildocs", "document", "choose_document"),
        ):
            perm = _permission(apps, app_label, model, codename, codename.replace("_", " "))
            GroupCollectionPermission.objects.get_or_create(
                group=trainers, collection=root_collection, permission=perm
            )


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0001_course_lesson_pages_enrolment_progress"),
        ("cms", "0002_create_roles_and_home_page"),
        ("wagtailcore", "0098_apitoken"),
        ("wagtailimages", "0027_image_description"),
        ("wagtaildocs", "0014_alter_document_file_size"),
    ]

    operations = [migrations.RunPython(create_section, migrations.RunPython.noop)]
