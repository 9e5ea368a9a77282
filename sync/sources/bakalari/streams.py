"""Bakaláři payloads -> plain records. Pure functions: no database, no HTTP."""

from sync.sources.streams import Record, composite_key

from .formats import parse_clock, parse_time


def text(value) -> str:
    return (value or "").strip() if isinstance(value, str) else ""


def named_records(items: list[dict]) -> list[Record]:
    """Classes, subjects, teachers and rooms share the {Id, Abbrev, Name} shape."""
    return [
        Record(item["Id"], {"abbrev": text(item.get("Abbrev")), "name": text(item.get("Name"))})
        for item in items
        if item.get("Id")
    ]


def group_records(timetable: dict) -> list[Record]:
    return [
        Record(
            group["Id"],
            {"abbrev": text(group.get("Abbrev")), "name": text(group.get("Name"))},
            links={"school_class": ("class", group.get("ClassId") or None)},
        )
        for group in timetable.get("Groups") or []
        if group.get("Id")
    ]


def subject_records(timetable: dict, atoms: list[dict]) -> list[Record]:
    subjects = list(timetable.get("Subjects") or [])
    subjects += [atom["Subject"] for atom in atoms if isinstance(atom.get("Subject"), dict)]
    return named_records(subjects)


def listed_ids(payload: dict, name: str) -> list[str]:
    """The ids of a list's entries that have one."""
    return [item["Id"] for item in listed(payload, name) if isinstance(item.get("Id"), str)]


def group_class_ids(timetable: dict) -> frozenset[str]:
    """The classes of the timetable's groups."""
    return frozenset(
        group["ClassId"]
        for group in listed(timetable, "Groups")
        if isinstance(group.get("ClassId"), str) and group["ClassId"]
    )


def roster_class_ids(rosters: dict[str, dict]) -> frozenset[str]:
    """The classes with a pupil in one of the rosters read."""
    return frozenset(
        student["ClassId"]
        for roster in rosters.values()
        for student in roster.get("Students") or ()
        if isinstance(student.get("ClassId"), str) and student["ClassId"]
    )


def teacher_records(timetable: dict, rosters: dict[str, dict]) -> list[Record]:
    teachers = list(timetable.get("Teachers") or [])
    for roster in rosters.values():
        teachers += roster.get("Teachers") or []
    return named_records(teachers)


def pupil_records(rosters: dict[str, dict]) -> list[Record]:
    """One record per pupil, though a pupil is in the roster of each of their groups."""
    records = {}
    for roster in rosters.values():
        for student in roster.get("Students") or []:
            if not student.get("Id"):
                continue
            first, last = text(student.get("FirstName")), text(student.get("LastName"))
            records[student["Id"]] = Record(  # the last one wins, as the writer would choose
                student["Id"],
                {
                    "name": text(student.get("DisplayName")) or f"{last} {first}".strip(),
                    "first_name": first,
                    "last_name": last,
                },
                links={"school_class": ("class", student.get("ClassId") or None)},
            )
    return list(records.values())


def enrolment_records(atoms: list[dict], rosters: dict[str, dict]) -> list[Record]:
    names = {atom["Id"]: atom for atom in atoms}
    records = []
    for atom_id, roster in rosters.items():
        atom = names.get(atom_id, {})
        subject = ("subject", (atom.get("Subject") or {}).get("Id") or None)
        # shared by every pupil of the atom: a large school has a hundred thousand enrolments
        values = {"atom_id": atom_id, "name": text(atom.get("Name"))}
        for student in roster.get("Students") or []:
            if not student.get("Id"):
                continue
            records.append(
                Record(
                    composite_key(atom_id, student["Id"]),
                    values,
                    links={"pupil": ("pupil", student["Id"]), "subject": subject},
                    scope=atom_id,
                )
            )
    return records


def event_records(payload: dict) -> list[Record]:
    """An event spans its first slot's start to its last slot's end (for ordering); its
    slots themselves are `event_time_records`. Whole-day only when every slot is."""
    records = []
    for event in payload.get("Events") or []:
        if not event.get("Id"):
            continue
        slots = [slot for slot in event.get("Times") or [] if isinstance(slot, dict)]
        starts = [t for t in (parse_time(slot.get("StartTime")) for slot in slots) if t]
        ends = [t for t in (parse_time(slot.get("EndTime")) for slot in slots) if t]
        event_type = event.get("EventType") or {}
        values = {
            "title": text(event.get("Title"))[:300],
            "description": text(event.get("Description")),
            "event_type": text(event_type.get("Name")),
            "starts_at": min(starts, default=None),
            "ends_at": max(ends, default=None),
            "whole_day": bool(slots) and all(slot.get("WholeDay") for slot in slots),
            "changed_at": parse_time(event.get("DateChanged")),
        }
        records.append(Record(event["Id"], values))
    return records


def event_time_records(payload: dict) -> list[Record]:
    """Every time slot of every event. Slots have no id: one is its event's at its start."""
    records = []
    for event in payload.get("Events") or []:
        if not event.get("Id"):
            continue
        for slot in event.get("Times") or []:
            if not isinstance(slot, dict):
                continue
            starts_at = parse_time(slot.get("StartTime"))
            values = {
                "starts_at": starts_at,
                "ends_at": parse_time(slot.get("EndTime")),
                "whole_day": bool(slot.get("WholeDay")),
            }
            key = composite_key(event["Id"], starts_at.isoformat() if starts_at else "")
            records.append(Record(key, values, links={"event": ("event", event["Id"])}))
    return records


def lesson_records(timetable: dict) -> list[Record]:
    """The standing timetable's lessons, one per day, hour, groups, weeks and subject however
    often and in whatever order the payload lists them, so that the timetables of several
    accounts give the same lesson the same key."""
    hours = {hour.get("Id"): hour for hour in listed(timetable, "Hours")}
    cycles = {
        cycle.get("Id"): text(cycle.get("Name")) or text(cycle.get("Abbrev"))
        for cycle in listed(timetable, "Cycles")
    }
    class_of = {g.get("Id"): g.get("ClassId") or None for g in listed(timetable, "Groups")}
    chosen = {}
    for day in listed(timetable, "Days"):
        if not isinstance(day.get("DayOfWeek"), int):
            continue
        for atom in listed(day, "Atoms"):
            if not (atom.get("SubjectId") and isinstance(atom.get("HourId"), int)):
                continue  # an empty or removed slot: no lesson
            record = lesson_record(day.get("DayOfWeek"), atom, hours, cycles, class_of)
            rank = (text(atom.get("TeacherId")), text(atom.get("RoomId")))
            if record.key not in chosen or rank < chosen[record.key][0]:
                chosen[record.key] = (rank, record)  # listed twice: the same one, in any order
    return [record for _, record in chosen.values()]


def listed(payload: dict, name: str) -> list[dict]:
    return [item for item in payload.get(name) or [] if isinstance(item, dict)]


def lesson_record(weekday, atom: dict, hours: dict, cycles: dict, class_of: dict) -> Record:
    groups = sorted({g for g in atom.get("GroupIds") or [] if isinstance(g, str) and g})
    cycle_ids = sorted({c for c in atom.get("CycleIds") or [] if isinstance(c, str)})
    hour = hours.get(atom["HourId"]) or {}
    begins = parse_clock(hour.get("BeginTime"), hour.get("Start"))
    ends = parse_clock(hour.get("EndTime"))
    if ends is None and begins and isinstance(hour.get("Duration"), int):
        ends = parse_clock(None, hour["Start"] + hour["Duration"])
    classes = {class_of.get(group) for group in groups}
    key = composite_key(
        weekday,
        atom["HourId"],
        composite_key(*groups, separator=","),
        composite_key(*cycle_ids, separator=","),
        atom["SubjectId"],
    )
    values = {
        "day_of_week": weekday,
        "hour_id": atom["HourId"],
        "hour": text(hour.get("Caption")),
        "begins": begins,
        "ends": ends,
        "cycle_ids": ",".join(cycle_ids),
        "cycles": ", ".join(cycles.get(c) or c for c in cycle_ids),
        "group_ids": ",".join(groups),
    }
    links = {
        "school_class": ("class", classes.pop() if len(classes) == 1 else None),
        "group": ("group", groups[0] if groups else None),
        "subject": ("subject", atom["SubjectId"]),
        "teacher": ("teacher", atom.get("TeacherId") or None),
        "room": ("room", atom.get("RoomId") or None),
    }
    return Record(key, values, links=links)


# A Mark record's fields, in the order `compact_mark` holds them after the mark's id and pupil.
MARK_FIELDS = (
    "value",
    "max_points",
    "weight",
    "kind",
    "theme",
    "marked_on",
    "edited_at",
    "published_at",
    "confirmation",
    "confirmed_at",
)


def compact_mark(mark: dict, seen: dict) -> tuple | None:
    """What a Mark record needs of a mark, as one tuple: the grade book's (MarkValue) and the
    pupil's shape (MarkText, Weight, Type, points) alike. Values repeated across marks (a
    test's date, its theme) are held once through `seen`."""
    if not isinstance(mark, dict) or not mark.get("Id"):
        return None
    points = bool(mark.get("IsPoints"))
    value = text(mark.get("MarkValue")) or text(mark.get("MarkText"))
    if points and not value:
        value = text(mark.get("PointsText"))
    marked = moment(mark.get("MarkDate"), seen)
    values = (
        value,
        whole(mark.get("MaxPoints")) if points or whole(mark.get("MaxPoints")) else None,
        whole(mark.get("Weight")),
        text(mark.get("TypeNote")) or text(mark.get("Type")),
        text(mark.get("Theme")) or text(mark.get("Caption")),
        marked.date() if marked else None,
        moment(mark.get("EditDate"), seen),
        moment(mark.get("PublishDate"), seen),
        text(mark.get("MarkConfirmationState")),
        moment(mark.get("ConfirmedWhen"), seen),
    )
    shared = (seen.setdefault(v, v) if isinstance(v, str) else v for v in values)
    return (mark["Id"], mark.get("StudentId") or None, *shared)


def moment(value, seen: dict):
    """`parse_time`, once per distinct text: marks of one test share their times."""
    if not isinstance(value, str):
        return parse_time(value)
    if ("time", value) not in seen:
        seen["time", value] = parse_time(value)
    return seen["time", value]


def whole(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value else None


def mark_records(atoms: list[dict], rosters: dict[str, dict]) -> list[Record]:
    """Each roster's marks, scoped to its teaching assignment (a roster not fetched this time
    leaves its marks alone). The marks of one test given the same mark share one values dict:
    a large school has hundreds of thousands of marks and a few values for each test."""
    subjects = {atom["Id"]: (atom.get("Subject") or {}).get("Id") or None for atom in atoms}
    records, shared = [], {}
    for atom_id, roster in rosters.items():
        subject = ("subject", subjects.get(atom_id))
        for mark_id, pupil_id, *values in roster.get("Marks") or []:
            same = (atom_id, *values)
            if same not in shared:
                shared[same] = {"atom_id": atom_id, **dict(zip(MARK_FIELDS, values, strict=True))}
            links = {"pupil": ("pupil", pupil_id), "subject": subject}
            records.append(Record(mark_id, shared[same], links=links, scope=atom_id))
    return records
