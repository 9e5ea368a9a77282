"""Bakaláři payloads -> plain records. Pure functions: no database, no HTTP."""

from sync.sources.streams import Record, composite_key

from .formats import parse_time


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
    records = []
    for event in payload.get("Events") or []:
        if not event.get("Id"):
            continue
        times = event.get("Times") or [{}]
        event_type = event.get("EventType") or {}
        values = {
            "title": text(event.get("Title"))[:300],
            "description": text(event.get("Description")),
            "event_type": text(event_type.get("Name")),
            "starts_at": parse_time(times[0].get("StartTime")),
            "ends_at": parse_time(times[-1].get("EndTime")),
            "whole_day": bool(times[0].get("WholeDay")),
            "changed_at": parse_time(event.get("DateChanged")),
        }
        records.append(Record(event["Id"], values))
    return records
