"""How the console lists the mirrored school: columns and searches per model.

The console registers each model read-only and scoped to the user's tenants; a source only
says what to show (see `Source.listings`).
"""

from .models import (
    Enrolment,
    Event,
    EventTime,
    Group,
    Lesson,
    Mark,
    Pupil,
    Room,
    SchoolClass,
    Subject,
    Teacher,
)

NAMED = {
    "list_display": ["name", "abbrev", "tenant", "external_id", "active"],
    "search_fields": ["abbrev", "name", "external_id"],
}

LISTINGS = {
    SchoolClass: {
        "list_display": ["abbrev", "name", "tenant", "external_id", "active"],
        "search_fields": ["abbrev", "name", "external_id"],
    },
    Group: {
        "list_display": ["abbrev", "name", "school_class", "tenant", "external_id", "active"],
        "list_select_related": ["tenant", "school_class"],
        "search_fields": ["abbrev", "name", "external_id"],
    },
    Subject: NAMED,
    Teacher: NAMED,
    Room: NAMED,
    Pupil: {
        "list_display": [
            "last_name",
            "first_name",
            "school_class",
            "tenant",
            "external_id",
            "active",
        ],
        "list_select_related": ["tenant", "school_class"],
        "search_fields": ["name", "external_id"],
    },
    Enrolment: {
        "list_display": ["pupil", "subject", "name", "tenant", "active"],
        "list_select_related": ["tenant", "pupil", "subject"],
        "search_fields": ["pupil__name", "name", "external_id"],
    },
    Event: {
        "list_display": ["title", "event_type", "starts_at", "ends_at", "tenant", "active"],
        "filters": ["event_type"],
        "search_fields": ["title", "external_id"],
        "date_hierarchy": "starts_at",
    },
    EventTime: {
        "list_display": ["event", "starts_at", "ends_at", "whole_day", "tenant", "active"],
        "list_select_related": ["tenant", "event"],
        "filters": ["whole_day"],
        "search_fields": ["event__title", "external_id"],
        "date_hierarchy": "starts_at",
    },
    Lesson: {
        "list_display": [
            "day_of_week",
            "hour",
            "begins",
            "ends",
            "cycles",
            "school_class",
            "group",
            "subject",
            "teacher",
            "room",
            "tenant",
            "active",
        ],
        "list_select_related": ["tenant", "school_class", "group", "subject", "teacher", "room"],
        "filters": ["day_of_week", "cycles"],
        "search_fields": ["subject__name", "teacher__name", "group_ids", "external_id"],
    },
    Mark: {
        "list_display": [
            "pupil",
            "subject",
            "value",
            "weight",
            "theme",
            "marked_on",
            "confirmation",
            "tenant",
            "active",
        ],
        "list_select_related": ["tenant", "pupil", "subject"],
        "filters": ["confirmation"],
        "search_fields": ["pupil__name", "theme", "external_id"],
        "date_hierarchy": "marked_on",
    },
}
