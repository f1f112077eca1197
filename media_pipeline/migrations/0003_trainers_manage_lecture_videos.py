from django.db import migrations

TRAINERS = "Trainers"
MEDIA_PERMISSIONS = (("add_media", "Can add media"), ("change_media", "Can change media"))
CAPTION_PERMISSIONS = ("add", "change", "delete", "view")


def grant(apps, schema_editor):
    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    ContentType = apps.get_model("contenttypes.ContentType")
    Collection = apps.get_model("wagtailcore.Collection")
    GroupCollectionPermission = apps.get_model("wagtailcore.GroupCollectionPermission")

    trainers, _ = Group.objects.get_or_create(name=TRAINERS)
    root = Collection.objects.filter(depth=1).order_by("path").first()
    media_ct, _ = ContentType.objects.get_or_create(app_label="wagtailmedia", model="media")
    for codename, name in MEDIA_PERMISSIONS:
        permission, _ = Permission.objects.get_or_create(
            content_type=media_ct, codename=codename, defaults={"name": name}
        )
        if root is not None:
            GroupCollectionPermission.objects.get_or_create(
                group=trainers, collection=root, permission=permission
            )
    caption_ct, _ = ContentType.objects.get_or_create(
        app_label="media_pipeline", model="lecturecaption"
    )
    for action in CAPTION_PERMISSIONS:
        permission, _ = Permission.objects.get_or_create(
            content_type=caption_ct,
            codename=f"{action}_lecturecaption",
            defaults={"name": f"Can {action} caption"},
        )
        trainers.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("media_pipeline", "0002_ladder_lock_and_captions"),
        ("wagtailmedia", "0005_alter_media_options"),
        ("wagtailcore", "0098_apitoken"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
