"""The mirrored school, read-only and scoped to the user's tenants."""

from django.contrib import admin

from sync.admin import MirroredAdmin
from sync.scoping import TenantFilter

from .models import Enrolment, Event, Group, Pupil, Room, SchoolClass, Subject, Teacher


@admin.register(SchoolClass)
class SchoolClassAdmin(MirroredAdmin):
    list_display = ["abbrev", "name", "tenant", "external_id", "active"]
    search_fields = ["abbrev", "name", "external_id"]


@admin.register(Group)
class GroupAdmin(MirroredAdmin):
    list_display = ["abbrev", "name", "school_class", "tenant", "external_id", "active"]
    list_select_related = ["tenant", "school_class"]
    search_fields = ["abbrev", "name", "external_id"]


@admin.register(Subject, Teacher, Room)
class NamedAdmin(MirroredAdmin):
    list_display = ["name", "abbrev", "tenant", "external_id", "active"]
    search_fields = ["abbrev", "name", "external_id"]


@admin.register(Pupil)
class PupilAdmin(MirroredAdmin):
    list_display = ["last_name", "first_name", "school_class", "tenant", "external_id", "active"]
    list_select_related = ["tenant", "school_class"]
    search_fields = ["name", "external_id"]


@admin.register(Enrolment)
class EnrolmentAdmin(MirroredAdmin):
    list_display = ["pupil", "subject", "name", "tenant", "active"]
    list_select_related = ["tenant", "pupil", "subject"]
    search_fields = ["pupil__name", "name", "external_id"]


@admin.register(Event)
class EventAdmin(MirroredAdmin):
    list_display = ["title", "event_type", "starts_at", "ends_at", "tenant", "active"]
    list_filter = [TenantFilter, "active", "event_type"]
    search_fields = ["title", "external_id"]
    date_hierarchy = "starts_at"
