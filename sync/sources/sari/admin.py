"""How the console lists the mirrored driving-licence courses: columns and searches per model.

The console registers each model read-only and scoped to the user's tenants; a source only
says what to show (see `Source.listings`).
"""

from .models import Course, CourseSession, Participant

LISTINGS = {
    Course: {
        "list_display": ["name", "course_type", "starts_at", "status", "tenant", "active"],
        "filters": ["course_type", "status"],
        "search_fields": ["name", "external_id"],
    },
    CourseSession: {
        "list_display": [
            "name",
            "course",
            "starts_at",
            "venue_city",
            "free_places",
            "tenant",
            "active",
        ],
        "list_select_related": ["tenant", "course"],
        "search_fields": ["name", "venue_city", "external_id"],
    },
    Participant: {
        "list_display": ["last_name", "first_name", "faber_id", "session", "tenant", "active"],
        "list_select_related": ["tenant", "session"],
        "search_fields": ["last_name", "first_name", "faber_id"],
    },
}
