"""The rows that data migrations create, restored after a transactional test's flush.

A transactional test (live server, real worker, racing threads) ends with a flush that
empties every table, including what the data migrations wrote: the page tree root, the home
page and site, the course section and its review workflow, the roles and their permissions.
Tests that run after it would otherwise see a database no real installation ever has.
"""

from importlib import import_module

from django.apps import apps
from django.conf import settings

# (module, forward function) of every data migration whose rows tests rely on, in order.
DATA_MIGRATIONS = [
    ("cms.migrations.0002_create_roles_and_home_page", "create_roles"),
    ("cms.migrations.0002_create_roles_and_home_page", "create_home_page"),
    ("cms.migrations.0003_managers_manage_units_and_members", "grant"),
    (
        "courses.migrations.0002_course_section_review_workflow_trainer_permissions",
        "create_section",
    ),
    ("courses.migrations.0003_managers_publish_course_section", "grant"),
    ("media_pipeline.migrations.0003_trainers_manage_lecture_videos", "grant"),
    ("cms.migrations.0004_grant_organisation_roles_permission", "create"),
    ("courses.migrations.0004_course_review_task_approves_and_publishes", "forward"),
    ("exams.quizzes.migrations.0002_trainers_manage_question_bank", "grant"),
    ("cms.migrations.0006_notice_section_review_workflow_manager_permissions", "forward"),
]


def migration_data_missing() -> bool:
    from wagtail.models import Site

    return not Site.objects.exists()


def migration_data_restore() -> None:
    from django.contrib.auth.management import create_permissions
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import Collection, Locale, Page

    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    ContentType.objects.clear_cache()
    Locale.objects.get_or_create(language_code=settings.LANGUAGE_CODE)
    if not Collection.objects.exists():
        Collection.add_root(name="Root")
    if not Page.objects.filter(depth=1).exists():
        Page.add_root(instance=Page(title="Root", slug="root", live=True))
    for module, function in DATA_MIGRATIONS:
        getattr(import_module(module), function)(apps, None)
