from django.db import migrations

# Trainers build the question bank in the Wagtail admin (exams.quizzes.admin.bank);
# managers and members get nothing here. Superusers have every permission anyway.
TRAINERS = "Trainers"
BANK_PERMISSIONS = {
    "questioncategory": ("question category", ("add", "change", "delete")),
    "question": ("question", ("add", "change", "delete")),
}


def grant(apps, schema_editor):
    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    ContentType = apps.get_model("contenttypes.ContentType")
    trainers, _ = Group.objects.get_or_create(name=TRAINERS)
    for model, (verbose, actions) in BANK_PERMISSIONS.items():
        content_type, _ = ContentType.objects.get_or_create(app_label="quizzes", model=model)
        for action in actions:
            permission, _ = Permission.objects.get_or_create(
                content_type=content_type,
                codename=f"{action}_{model}",
                defaults={"name": f"Can {action} {verbose}"},
            )
            trainers.permissions.add(permission)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    trainers = Group.objects.filter(name=TRAINERS).first()
    if trainers is None:
        return
    trainers.permissions.remove(
        *Permission.objects.filter(
            content_type__app_label="quizzes",
            codename__in=[
                f"{action}_{model}"
                for model, (_verbose, actions) in BANK_PERMISSIONS.items()
                for action in actions
            ],
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("quizzes", "0001_question_bank_quizzes_attempts"),
        ("cms", "0002_create_roles_and_home_page"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
