"""Tenant scoping in the admin: staff see and change only the tenants they belong to.

A tenant's `staff` are its members; superusers see every tenant. Each admin names the path from
its model to the tenant, and everything it lists, opens, filters or offers in a form goes through
`in_scope`, so an object of another tenant is simply not there (404), by page or by URL.
"""

from django.contrib import admin
from django.db.models import QuerySet

from tenants.models import Connection, Tenant


def tenants_of(user) -> QuerySet[Tenant]:
    if user.is_superuser:
        return Tenant.objects.all()
    return Tenant.objects.filter(staff=user)


def in_scope(queryset: QuerySet, user, tenant_path: str) -> QuerySet:
    """`queryset` narrowed to the rows whose tenant (at `tenant_path`) `user` belongs to."""
    if user.is_superuser:
        return queryset
    # A subquery, not a join: a join through the membership table could repeat rows.
    member_of = Tenant.objects.filter(staff=user).values("pk")
    return queryset.filter(**{f"{tenant_path}__in": member_of})


class TenantFilter(admin.SimpleListFilter):
    """Filter by tenant, offering only the tenants the user may see."""

    title = "tenant"
    parameter_name = "tenant"

    def __init__(self, request, params, model, model_admin):
        self.tenant_path = model_admin.tenant_path
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        return [(str(t.pk), t.name) for t in tenants_of(request.user).only("pk", "name")]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        if not self.value().isdigit():
            return queryset.none()
        return queryset.filter(**{self.tenant_path: self.value()})


class TenantScopedAdmin:
    """Mixin for a ModelAdmin: rows, related choices and filters limited to the user's tenants."""

    tenant_path = "tenant"

    def get_queryset(self, request):
        return in_scope(super().get_queryset(request), request.user, self.tenant_path)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Tenant:
            kwargs["queryset"] = tenants_of(request.user)
        elif db_field.related_model is Connection:
            kwargs["queryset"] = in_scope(Connection.objects.all(), request.user, "tenant")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
