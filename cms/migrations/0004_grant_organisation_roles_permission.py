"""The permission to give organisation-wide roles (Trainer). No role has it: superusers give
those roles, or a role an administrator makes for it in Wagtail's Groups admin."""

from django.db import migrations

CODENAME = "grant_organisation_roles"
NAME = "Can give organisation-wide roles (Trainer)"


def create(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Permission = apps.get_model("auth.Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label="cms", model="memberprofile")
    Permission.objects.get_or_create(
        content_type=content_type, codename=CODENAME, defaults={"name": NAME}
    )


def remove(apps, schema_editor):
    Permission = apps.get_model("auth.Permission")
    Permission.objects.filter(content_type__app_label="cms", codename=CODENAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0003_managers_manage_units_and_members"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create, remove)]
