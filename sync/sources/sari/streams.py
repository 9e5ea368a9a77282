"""SARI payloads -> plain records. Pure functions: no database, no HTTP.

SARI lists groups of parts. A group has no id and its parts drop out of it once held, so the
part id is the only stable key: a session is keyed on its part id, and a course names its parts
for the writer to find the key it was first stored under (`Stream.parts`). The key it offers
itself, its lowest part id, is the one a course none of whose parts is stored yet takes.
"""

from sync.sources.streams import Record, composite_key

from .client import CourseGroup, CoursePart, Member


def course_key(group: CourseGroup) -> str:
    """The key a new course takes; the writer turns it into the key it was stored under."""
    return str(min(group.part_ids))


def course_record(group: CourseGroup) -> Record:
    return Record(
        course_key(group),
        {"course_type": group.course_type, "name": group.name, "starts_at": group.starts_at},
        scope=group.course_type,
        parts=tuple(str(part.id) for part in group.parts),
    )


def session_record(group: CourseGroup, part: CoursePart) -> Record:
    venue = part.venue
    return Record(
        str(part.id),
        {
            "name": part.name,
            "starts_at": part.starts_at,
            "venue_name": venue.name,
            "venue_address": venue.address,
            "venue_zip": venue.zip,
            "venue_city": venue.city,
            "free_places": part.free_places,
        },
        links={"course": ("course", course_key(group))},
        scope=group.course_type,
    )


def participant_record(part_id: int, member: Member) -> Record:
    return Record(
        composite_key(part_id, member.faber_id, separator=":"),  # as first stored: part:FABER-ID
        {
            "faber_id": member.faber_id,
            "first_name": member.first_name,
            "last_name": member.last_name,
            "birthdate": member.birthdate,
            "confirmed_on": member.confirmed_on,
        },
        links={"session": ("session", str(part_id))},
        scope=str(part_id),
    )


def course_records(groups: list[CourseGroup]) -> list[Record]:
    return [course_record(group) for group in groups]


def session_records(groups: list[CourseGroup]) -> list[Record]:
    return [session_record(group, part) for group in groups for part in group.parts]


def participant_records(members: dict[int, list[Member]]) -> list[Record]:
    """The members of each part read, by part id."""
    return [participant_record(part_id, m) for part_id, ms in members.items() for m in ms]
