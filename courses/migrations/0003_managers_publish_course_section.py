"""Managers approve in "Course review", and Wagtail publishes an approved revision as the
approving user, so Managers need the publish permission on the course section."""

from django.db import migrations


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Permission = apps.get_model("auth.Permission")
    Group = apps.get_model("auth.Group")
    GroupPagePermission = apps.get_model("wagtailcore.GroupPagePermission")
    CourseIndexPage = apps.get_model("courses.CourseIndexPage")

    page_ct, _ = ContentType.objects.get_or_create(app_label="wagtailcore", model="page")
    publish, _ = Permission.objects.get_or_create(
        content_type=page_ct, codename="publish_page", defaults={"name": "Can publish any page"}
    )
    managers, _ = Group.objects.get_or_create(name="Managers")
    section = CourseIndexPage.objects.filter(slug="courses", depth=3).first()
    if section is not None:
        GroupPagePermission.objects.get_or_create(group=managers, page=section, permission=publish)


class Migration(migrations.Migration):
    dependencies = [("courses", "0002_course_section_review_workflow_trainer_permissions")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
