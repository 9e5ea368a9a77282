"""Which connections a command or request means."""

from django.db.models import QuerySet

from sync.sources import registry
from tenants.models import Connection, Tenant


class UnknownSelection(LookupError):
    pass


def enabled_connections(sources=(), tenants=()) -> QuerySet[Connection]:
    """Enabled connections of active tenants, optionally only these sources and tenant slugs."""
    for slug in sources:
        try:
            registry.get(slug)
        except LookupError:
            known = ", ".join(s.slug for s in registry.all_sources())
            raise UnknownSelection(f"unknown source {slug!r} (known: {known})") from None
    missing = set(tenants) - set(
        Tenant.objects.filter(slug__in=tenants).values_list("slug", flat=True)
    )
    if missing:
        raise UnknownSelection(f"unknown tenant {', '.join(sorted(missing))}")
    connections = Connection.objects.filter(enabled=True, tenant__active=True).select_related(
        "tenant"
    )
    if sources:
        connections = connections.filter(source__in=sources)
    if tenants:
        connections = connections.filter(tenant__slug__in=tenants)
    return connections.order_by("tenant__slug", "source")
