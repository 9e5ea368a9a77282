"""The group "Tenant IT administrator": a school's IT person runs and mends its connections.

Permissions are made by post_migrate, after every migration; on a fresh database they do not
exist yet here, so this migration makes those of the apps it grants first. The view of the
sources' mirrored records is granted after every migrate (sync.console.roles): the core names
no source, and a source added later joins the group by itself.
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


def create_group(apps, schema_editor):
    using = schema_editor.connection.alias
    for label in GRANTED:
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
    group, _ = Group.objects.using(using).get_or_create(name=GROUP)
    group.permissions.set(wanted)


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("sync", "0005_run_created_index"),
        ("tenants", "0004_tenant_purge_missing_days"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
