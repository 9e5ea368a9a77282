"""The ready-made roles: the group "Tenant IT administrator" (its migration grants the core's
permissions) also views every installed source's mirrored records, granted after every migrate,
so a source added later joins it without a migration naming it."""

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType

from sync.sources import registry

TENANT_IT_ADMINISTRATOR = "Tenant IT administrator"


def grant_mirrored_views(sender=None, using="default", **kwargs) -> None:
    """post_migrate: the view permission of every mirrored model the database holds so far
    (each app's permissions are made by its own post_migrate, so this runs after each)."""
    group = Group.objects.using(using).filter(name=TENANT_IT_ADMINISTRATOR).first()
    if group is None:  # removed by the operator, or its migration not applied
        return
    models = [stream.model for source in registry.all_sources() for stream in source.streams()]
    types = ContentType.objects.db_manager(using).get_for_models(*models).values()
    views = Permission.objects.using(using).filter(
        content_type__in=types, codename__startswith="view_"
    )
    group.permissions.add(*views)
