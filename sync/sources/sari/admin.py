"""The mirrored driving-licence courses, read-only and scoped to the user's tenants."""

from django.contrib import admin

from sync.admin import MirroredAdmin
from sync.scoping import TenantFilter

from .models import Course, CourseSession, Participant


@admin.register(Course)
class CourseAdmin(MirroredAdmin):
    list_display = ["name", "course_type", "starts_at", "status", "tenant", "active"]
    list_filter = [TenantFilter, "active", "course_type", "status"]
    search_fields = ["name", "external_id"]


@admin.register(CourseSession)
class CourseSessionAdmin(MirroredAdmin):
    list_display = ["name", "course", "starts_at", "venue_city", "free_places", "tenant", "active"]
    list_select_related = ["tenant", "course"]
    search_fields = ["name", "venue_city", "external_id"]


@admin.register(Participant)
class ParticipantAdmin(MirroredAdmin):
    list_display = ["last_name", "first_name", "faber_id", "session", "tenant", "active"]
    list_select_related = ["tenant", "session"]
    search_fields = ["last_name", "first_name", "faber_id"]
