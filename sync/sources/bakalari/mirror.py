"""What the Bakaláři connection mirrors and how it is read: the school through one account.

A teacher account sees the school's classes, groups, subjects, teachers and rooms in its
standing timetable and the pupils of every group it teaches through the marking endpoints.
Any other account mirrors what it can see; the pupil streams are then left untouched.
"""

from functools import partial

from sync.sources.streams import Answers, Batch, Report, Stream
from sync.upstream import parallel
from sync.upstream.errors import PermissionDenied

from . import streams
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

# Each account sees a slice of the school (API v3 lists no whole school): coverage is measured
# in the classes and teachers the answers name (sync.run.coverage).
STREAMS = (
    Stream("class", SchoolClass, "classes", coverage_unit="class",
           coverage_text="{covered} of {known} known classes in the timetables read"),
    Stream("group", Group, "groups", coverage_unit="class",
           coverage_text="groups of {covered} of {known} known classes"),
    Stream("subject", Subject, "subjects"),
    Stream("teacher", Teacher, "teachers", coverage_unit="teacher",
           coverage_text="{covered} of {known} known teachers named"),
    Stream("room", Room, "rooms", coverage_unit="room",
           coverage_text="{covered} of {known} known rooms in the timetables read"),
    Stream("lesson", Lesson, "lessons", coverage_unit="teacher",
           coverage_text="the timetables of {covered} of {known} known teachers"),
    Stream("pupil", Pupil, "pupils", coverage_unit="class",
           coverage_text="pupils of {covered} of {known} known classes"),
    Stream("enrolment", Enrolment, "enrolments", coverage_unit="teacher",
           coverage_text="the teaching assignments of {covered} of {known} known teachers"),
    # A school year begins with empty grade books: last year's marks are gone upstream then.
    Stream("mark", Mark, "marks", may_be_empty=True, coverage_unit="teacher",
           coverage_text="the grade books of {covered} of {known} known teachers"),
    # Servers stop serving last year's events in summer: an empty list is normal then.
    Stream("event", Event, "events", may_be_empty=True, coverage_unit="class",
           coverage_text="events of {covered} of {known} known classes"),
    Stream("event_time", EventTime, "event times", may_be_empty=True, coverage_unit="class",
           coverage_text="event times of {covered} of {known} known classes"),
)  # fmt: skip


def read(client, connection, report: Report) -> dict[str, Batch]:
    user = client.user()
    report("timetable", 0)
    # none of these waits for another; the rosters wait for the assignments
    timetable, atoms, events, school = parallel.together(
        client,
        client.timetable_permanent,
        partial(teaching_assignments, client, user),
        partial(events_or_why_not, client, user),
        client.public_directory,
    )
    refused, atoms = (atoms, []) if isinstance(atoms, str) else ("", atoms)
    with_events = has_right(user, "Events", "ShowEvents")  # asked for, if not given
    # user, timetable, the directory, the assignments, a roster for each of them, the events
    answers = Answers(3 + is_teacher(user) + len(atoms) + with_events, done=3 + is_teacher(user))
    rosters = read_rosters(client, atoms, report, answers)
    if with_events:
        answers.report(report, "events", sum(len(r["Students"]) for r in rosters.values()))
    classes = frozenset(streams.listed_ids(timetable, "Classes"))
    own = own_teacher_ids(user, timetable)
    batches = {
        "class": Batch(streams.named_records(timetable.get("Classes") or []), covers=classes),
        "group": Batch(streams.group_records(timetable), covers=streams.group_class_ids(timetable)),
        "subject": Batch(streams.subject_records(timetable, atoms)),
        "teacher": covering(Batch(streams.teacher_records(timetable, rosters))),
        "room": covering(Batch(streams.named_records(timetable.get("Rooms") or []))),
        "lesson": Batch(streams.lesson_records(timetable), covers=own),
        **dict.fromkeys(
            ("pupil", "enrolment", "mark"), Batch.unread(not_a_teacher(user), blind=True)
        ),
        **event_batches(events, classes),
    }
    if refused:  # a teacher the server refused the grade book
        batches.update(dict.fromkeys(("pupil", "enrolment", "mark"), Batch.unread(refused)))
    elif is_teacher(user):
        batches["pupil"] = Batch(
            streams.pupil_records(rosters), covers=streams.roster_class_ids(rosters)
        )
        batches["enrolment"] = Batch.built_later(
            partial(streams.enrolment_records, atoms, rosters),
            size=sum(len(roster["Students"]) for roster in rosters.values()),
            complete_scopes=set(rosters),
            covers=own,
        )
        batches["mark"] = Batch.built_later(
            partial(streams.mark_records, atoms, rosters),
            size=sum(len(roster["Marks"]) for roster in rosters.values()),
            complete_scopes=set(rosters),
            covers=own,
        )
    for kind, ids in school.items():  # what the school has, beyond what the accounts meet
        batches[kind].known = ids
    return batches


def covering(batch: Batch) -> Batch:
    """A batch measured in its own records: it covers what it lists."""
    batch.covers = frozenset(record.key for record in batch.records)
    return batch


def own_teacher_ids(user: dict, timetable: dict) -> frozenset[str] | None:
    """Whose timetable and grade books a teacher account reads: the teacher of its own standing
    timetable's lessons. None for a pupil's or parent's account: it reads no teacher's."""
    if not is_teacher(user):
        return None
    return frozenset(
        atom["TeacherId"]
        for day in streams.listed(timetable, "Days")
        for atom in streams.listed(day, "Atoms")
        if isinstance(atom.get("TeacherId"), str) and atom["TeacherId"]
    )


def event_batches(events: dict | tuple, classes: frozenset[str]) -> dict[str, Batch]:
    """The events and their time slots (an account sees the events of its timetable's
    classes and the school's own), or both unread and why."""
    if isinstance(events, tuple):
        reason, blind = events
        return {kind: Batch.unread(reason, blind=blind) for kind in ("event", "event_time")}
    return {
        "event": Batch(streams.event_records(events), covers=classes),
        "event_time": Batch(streams.event_time_records(events), covers=classes),
    }


def not_a_teacher(user: dict) -> str:
    kind = streams.text(user.get("UserType")) or "unknown"
    return (
        "Only a teacher account sees pupils, their groups and marks; "
        f"this account is of type {kind}. Sync with a teacher's account to mirror them."
    )


def no_events_right(user: dict) -> str:
    if not any(isinstance(m, dict) for m in user.get("EnabledModules") or ()):
        return (
            "The server lists no enabled modules for this account (as it does in the summer "
            "holidays), so events were not read."
        )
    return "The account lacks the Events module's ShowEvents right, so events were not read."


def teaching_assignments(client, user: dict) -> list[dict] | str:
    """What a teacher account teaches, or why the server refused to say; nothing for the other
    accounts."""
    if not is_teacher(user):
        return []
    try:
        answer = client.marking_atoms()
    except PermissionDenied as refused:
        return (
            f"{refused.message} The account is a teacher's, but the server refused its grade "
            "book (HTTP 403), so pupils, enrolments and marks were not read."
        )
    return [atom for atom in answer if not atom.get("Disabled")]


def events_or_why_not(client, user: dict) -> dict | tuple[str, bool]:
    """The events, or (why they were not read, whether the account cannot see them at all):
    the account lacks the right, or the server refused them though the account lists it.
    Either way the other streams are written."""
    if not has_right(user, "Events", "ShowEvents"):
        return no_events_right(user), True
    try:
        return client.events()
    except PermissionDenied as refused:
        return (
            f"{refused.message} The account lists the Events module, but the server refused "
            "(HTTP 403), so events were not read.",
            False,
        )


def read_rosters(client, atoms: list[dict], report: Report, answers: Answers) -> dict[str, dict]:
    """The pupils of each teaching assignment, fetched side by side, reported in turn.

    A pupil is in the roster of each of their groups; the rosters share one dict per pupil as
    long as the answers agree on them, so a large school holds each pupil once, not each time.
    """
    rosters, pupils, known = {}, 0, {}
    for atom, roster in parallel.fetched(client, partial(roster_of, client), atoms):
        answers.report(report, f"pupils of {streams.text(atom.get('Name')) or atom['Id']}", pupils)
        roster["Students"] = [shared(student, known) for student in roster["Students"]]
        rosters[atom["Id"]] = roster
        pupils += len(roster["Students"])
    return rosters


def shared(student: dict, known: dict[tuple, dict]) -> dict:
    """The dict already held for a pupil read the same way in another roster, else this one."""
    return known.setdefault(tuple(student.values()), student)


def roster_of(client, atom: dict) -> dict:
    return who_is_taught(client.marking_marks(atom["Id"]))


# What the streams read of a roster. Its marks are most of the answer, with fields the mirror
# does not keep: holding each mark as one small tuple as each answer arrives keeps a large
# school's sync in a fraction of the memory.
STUDENT_FIELDS = ("Id", "ClassId", "DisplayName", "FirstName", "LastName")


def who_is_taught(marks: dict) -> dict:
    students = [
        {name: student.get(name) for name in STUDENT_FIELDS}
        for student in marks.get("Students") or []
        if isinstance(student, dict)
    ]
    seen = {}
    kept = (streams.compact_mark(mark, seen) for mark in marks.get("Marks") or [])
    return {
        "Students": students,
        "Teachers": marks.get("Teachers") or [],
        "Marks": [mark for mark in kept if mark],
    }


def is_teacher(user: dict) -> bool:
    return user.get("UserType") == "teacher"


def has_right(user: dict, module: str, right: str) -> bool:
    """Listed explicitly: without a module list (mid-summer) the optional streams are skipped."""
    return any(
        isinstance(m, dict) and m.get("Module") == module and right in (m.get("Rights") or ())
        for m in user.get("EnabledModules") or []
    )
