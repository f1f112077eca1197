from django.db import migrations

# Managers work on the units and members of their own subtree (the admin views scope
# every query through cms.selectors). Trainers get nothing here.
MANAGER_PERMISSIONS = {
    "unit": ["add", "change", "view"],
    "memberprofile": ["add", "change", "view"],
}
VERBOSE = {"unit": "unit", "memberprofile": "member"}


def grant(apps, schema_editor):
    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    ContentType = apps.get_model("contenttypes.ContentType")
    managers, _ = Group.objects.get_or_create(name="Managers")
    for model, actions in MANAGER_PERMISSIONS.items():
        content_type, _ = ContentType.objects.get_or_create(app_label="cms", model=model)
        for action in actions:
            permission, _ = Permission.objects.get_or_create(
                content_type=content_type,
                codename=f"{action}_{model}",
                defaults={"name": f"Can {action} {VERBOSE[model]}"},
            )
            managers.permissions.add(permission)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    managers = Group.objects.filter(name="Managers").first()
    if managers is None:
        return
    for model, actions in MANAGER_PERMISSIONS.items():
        managers.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="cms",
                codename__in=[f"{action}_{model}" for action in actions],
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0002_create_roles_and_home_page"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
