"""The group "Tenant IT administrator": a school's IT person runs and mends its connections.

Permissions are made by post_migrate, after every migration; on a fresh database they do not
exist yet here, so this migration makes those of the apps it grants first.
"""

from django.apps import apps as installed_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Tenant IT administrator"
GRANTED = {
    "tenants": [
        "view_tenant",
        "view_connection",
        "change_connection",
        "run_sync",
        "test_connection",
        "view_account",
        "add_account",
        "change_account",
        "delete_account",
    ],
    "sync": ["view_syncrun", "view_incident"],
}
MIRRORED = ["bakalari", "sari"]  # every model of theirs, to view


def create_group(apps, schema_editor):
    using = schema_editor.connection.alias
    for label in [*GRANTED, *MIRRORED]:
        create_permissions(
            installed_apps.get_app_config(label), verbosity=0, apps=apps, using=using
        )
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    wanted = Permission.objects.using(using).none()
    for label, codenames in GRANTED.items():
        wanted |= Permission.objects.using(using).filter(
            content_type__app_label=label, codename__in=codenames
        )
    wanted |= Permission.objects.using(using).filter(
        content_type__app_label__in=MIRRORED, codename__startswith="view_"
    )
    group, _ = Group.objects.using(using).get_or_create(name=GROUP)
    group.permissions.set(wanted)


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("sync", "0005_run_created_index"),
        ("tenants", "0004_tenant_purge_missing_days"),
        ("bakalari", "0002_eventtime_lesson_mark"),
        ("sari", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
