"""What the SARI connection mirrors and how it is read: courses, their sessions, participants.

SARI lists groups of parts. A group has no id and its parts drop out of it once held, so the
part id is the only stable key: a session is keyed on its part id, and a course keeps the key
it was first stored under, found again through any of its parts that is still listed.
"""

from django.utils import timezone

from sync.sources.streams import Answers, Batch, Record, Report, Stream, composite_key
from sync.upstream.errors import UpstreamError

from .client import COURSE_TYPES, CourseGroup, Member, offered_courses
from .models import Course, CourseSession, Participant

# Codes that mean "nothing of this here", not "something is broken".
NO_SUCH_PART = "COURSE_NOT_FOUND"


def held_sessions(session_ids: list[int]) -> set[int]:
    """Of the sessions gone from the feed, those begun already: held, so kept as past ones.
    SARI lists future parts only; a future one that vanished was cancelled."""
    held = CourseSession.objects.filter(pk__in=session_ids, starts_at__lte=timezone.now())
    return set(held.values_list("pk", flat=True))


def finished_courses(course_ids: list[int]) -> set[int]:
    """Of the courses gone from the feed, those with no session ahead: held to the end."""
    ahead = CourseSession.objects.filter(
        course_id__in=course_ids, active=True, starts_at__gt=timezone.now()
    )
    finished = Course.objects.filter(pk__in=course_ids).exclude(pk__in=ahead.values("course_id"))
    return set(finished.values_list("pk", flat=True))


def complete_courses(course_ids: list[int]) -> None:
    """Found finished on every run from now on: written once, so a re-run writes nothing."""
    unmarked = Course.objects.filter(pk__in=course_ids).exclude(status=Course.Status.COMPLETED)
    if unmarked.exists():
        unmarked.update(status=Course.Status.COMPLETED)


def cancel_courses(course_ids: list[int]) -> None:
    """A course gone from the feed with sessions still ahead was cancelled."""
    Course.objects.filter(pk__in=course_ids).update(status=Course.Status.CANCELLED)


STREAMS = (
    Stream(
        "course",
        Course,
        "courses",
        on_missing=cancel_courses,
        find_ended=finished_courses,
        on_ended=complete_courses,
    ),
    Stream("session", CourseSession, "course sessions", find_ended=held_sessions),
    # A part nobody booked yet has no participants; an empty list is normal. Those of a held
    # part are not fetched again (it is no longer listed), so they stay as they were.
    Stream("participant", Participant, "participants", may_be_empty=True),
)


def read(client, connection, report: Report) -> dict[str, Batch]:
    listed = offered_courses(client, lambda course_type: report(f"{course_type} courses", 0))
    groups = [group for course_groups in listed.values() for group in course_groups]
    types_listed = set(listed)
    keys = CourseKeys(connection.tenant, groups)
    members, parts_read = read_members(client, groups, report)
    return {
        "course": Batch([course_record(g, keys) for g in groups], complete_scopes=types_listed),
        "session": Batch(
            [session_record(g, part, keys) for g in groups for part in g.parts],
            complete_scopes=types_listed,
        ),
        "participant": Batch(
            [participant_record(part_id, m) for part_id, ms in members.items() for m in ms],
            complete_scopes={str(part_id) for part_id in parts_read},
        ),
    }


def read_members(client, groups: list[CourseGroup], report: Report):
    """Each listed part's members; a part deleted since the list was read is left out."""
    members, parts_read, total = {}, set(), 0
    parts = [(group, part) for group in groups for part in group.parts]
    answers = Answers(len(COURSE_TYPES) + len(parts), done=len(COURSE_TYPES))  # lists, parts
    for group, part in parts:
        answers.report(report, f"participants of {group.name} ({part.name})", total)
        try:
            members[part.id] = client.course_detail(part.id)
        except UpstreamError as error:
            if error.code != NO_SUCH_PART:
                raise
            continue
        parts_read.add(part.id)
        total += len(members[part.id])
    return members, parts_read


class CourseKeys:
    """The key of each listed group: the stored course of any of its parts, else a new key."""

    def __init__(self, tenant, groups: list[CourseGroup]) -> None:
        part_ids = [str(part.id) for group in groups for part in group.parts]
        stored = CourseSession.objects.filter(
            tenant=tenant, external_id__in=part_ids, course__isnull=False
        ).values_list("external_id", "course__external_id", "course__starts_at")
        self.by_part = {part: (course, starts) for part, course, starts in stored}

    def key(self, group: CourseGroup) -> str:
        for part in group.parts:
            if str(part.id) in self.by_part:
                return self.by_part[str(part.id)][0]
        return str(min(group.part_ids))  # stable: later lookups find it through its parts

    def first_start(self, group: CourseGroup):
        """The course's first session, also when that one has been held and left the list."""
        starts = [group.starts_at]
        starts += [self.by_part[str(p.id)][1] for p in group.parts if str(p.id) in self.by_part]
        return min(s for s in starts if s is not None)


def course_record(group: CourseGroup, keys: CourseKeys) -> Record:
    starts_at = keys.first_start(group)
    held = starts_at <= timezone.now()
    return Record(
        keys.key(group),
        {
            "course_type": group.course_type,
            "name": group.name,
            "starts_at": starts_at,
            "status": Course.Status.RUNNING if held else Course.Status.SCHEDULED,
        },
        scope=group.course_type,
    )


def session_record(group: CourseGroup, part, keys: CourseKeys) -> Record:
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
        links={"course": ("course", keys.key(group))},
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
