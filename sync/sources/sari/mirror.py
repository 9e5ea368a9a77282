"""What the SARI connection mirrors and how it is read: courses, their sessions, participants.

SARI lists what lies ahead only: a part drops out of its group once held, a group once all its
parts are. The streams say so (`held_at`, `parts`), and the writer keeps what was held.
"""

from functools import partial

from sync.sources.streams import Answers, Batch, Lifecycle, Parts, Report, Stream
from sync.upstream import parallel
from sync.upstream.errors import UpstreamError

from . import streams
from .client import COURSE_TYPES, CourseGroup, CoursePart, Member, offered_courses
from .models import Course, CourseSession, Participant

# Codes that mean "nothing of this here", not "something is broken".
NO_SUCH_PART = "COURSE_NOT_FOUND"

# A held part stays as a past session of its course; a future one that vanished was cancelled.
SESSIONS = Stream("session", CourseSession, "course sessions", held_at="starts_at")
COURSE_STATUS = Lifecycle(
    "status",
    ahead=Course.Status.SCHEDULED,
    begun=Course.Status.RUNNING,
    over=Course.Status.COMPLETED,
    cancelled=Course.Status.CANCELLED,
)
STREAMS = (
    Stream(
        "course",
        Course,
        "courses",
        parts=Parts(SESSIONS, link="course", first="starts_at", status=COURSE_STATUS),
    ),
    SESSIONS,
    # A part nobody booked yet has no participants; an empty list is normal. Those of a held
    # part are not fetched again (it is no longer listed), so they stay as they were.
    Stream("participant", Participant, "participants", may_be_empty=True),
)


def read(client, connection, report: Report) -> dict[str, Batch]:
    listed = offered_courses(client, lambda course_type: report(f"{course_type} courses", 0))
    groups = [group for course_groups in listed.values() for group in course_groups]
    types_listed = set(listed)
    members, parts_read = read_members(client, groups, report)
    return {
        "course": Batch(streams.course_records(groups), complete_scopes=types_listed),
        "session": Batch(streams.session_records(groups), complete_scopes=types_listed),
        "participant": Batch(
            streams.participant_records(members),
            complete_scopes={str(part_id) for part_id in parts_read},
        ),
    }


def read_members(client, groups: list[CourseGroup], report: Report):
    """Each listed part's members, fetched side by side; a part deleted since the list was read
    is left out."""
    members, parts_read, total = {}, set(), 0
    parts = [(group, part) for group in groups for part in group.parts]
    answers = Answers(len(COURSE_TYPES) + len(parts), done=len(COURSE_TYPES))  # lists, parts
    for (group, part), listed in parallel.fetched(client, partial(members_of, client), parts):
        answers.report(report, f"participants of {group.name} ({part.name})", total)
        if listed is None:
            continue
        members[part.id] = listed
        parts_read.add(part.id)
        total += len(listed)
    return members, parts_read


def members_of(client, group_and_part: tuple[CourseGroup, CoursePart]) -> list[Member] | None:
    """The part's members; None for a part deleted since the list was read."""
    _, part = group_and_part
    try:
        return client.course_detail(part.id)
    except UpstreamError as error:
        if error.code != NO_SUCH_PART:
            raise
        return None
