"""What changes the sandbox school's standing timetable in a given week, as servers show it.

Each week one class is out on an excursion (its first two lessons one day Canceled), one teacher
is off sick for a day (their first lesson Removed, the others a Substitution by a teacher free
that hour), one lesson moves to a free room (RoomChanged) and one class gets a zeroth lesson
(Added). Lessons that do not take place keep their hour and group, without subject, teacher or
room. The changes follow from the school's seed and the week alone, so every account sees the
same ones and a week is the same on every call.
"""

from dataclasses import dataclass, replace
from datetime import date

from .dataset import Lesson, School, seeded

PLACES = ["Národní technické muzeum", "Planetárium Praha", "Vyšehrad", "Národní galerie"]
EXCURSION_HOURS = (3, 4)  # the first two lessons
ZEROTH_HOUR = 2


@dataclass(frozen=True)
class Change:
    kind: str  # ChangeType: Canceled, Removed, Substitution, RoomChanged, Added
    description: str
    hours: tuple[int, int]  # the first and last hour id it spans
    display: str = "OriginalTeacher"
    type_abbrev: str | None = None
    type_name: str | None = None


@dataclass(frozen=True)
class Taught:
    """A lesson as it is taught on one day, and what changed it."""

    day: date
    lesson: Lesson
    change: Change


@dataclass
class WeekChanges:
    changed: dict[tuple[date, str, int], Taught]  # (day, group id, hour id) -> as taught
    added: list[Taught]

    def of(self, day: date, lesson: Lesson) -> Taught | None:
        return self.changed.get((day, lesson.group_id, lesson.hour_id))


def plan_week(school: School, days: list[date]) -> WeekChanges:
    """The changes of the week of `days`, the school days in it that have changes planned."""
    week = WeekChanges({}, [])
    if not days:
        return week
    year, number, _ = days[0].isocalendar()
    rng = seeded(f"changes-{year}-{number}", school.seed)
    excursion(school, week, rng.choice(days), rng)
    sick_teacher(school, week, rng.choice(days), rng)
    room_change(school, week, rng.choice(days), rng)
    added_lesson(school, week, rng.choice(days), rng)
    return week


def lessons_on(school: School, day: date) -> list[Lesson]:
    return [x for x in school.lessons if x.day == day.isoweekday()]


def off(lesson: Lesson) -> Lesson:
    return replace(lesson, subject_id=None, teacher_id=None, room_id=None)


def excursion(school: School, week: WeekChanges, day: date, rng) -> None:
    school_class = rng.choice(school.classes)
    place = rng.choice(PLACES)
    change = Change(
        "Canceled", f"Exkurze: {place}", EXCURSION_HOURS, type_abbrev="Exk", type_name="Exkurze"
    )
    group_ids = {g.id for g in school.groups if g.class_id == school_class.id}
    for lesson in lessons_on(school, day):
        if lesson.group_id in group_ids and lesson.hour_id in EXCURSION_HOURS:
            week.changed[(day, lesson.group_id, lesson.hour_id)] = Taught(day, off(lesson), change)


def sick_teacher(school: School, week: WeekChanges, day: date, rng) -> None:
    """Their first lesson of the day is dropped; a teacher free that hour takes the others."""
    lessons = lessons_on(school, day)
    teaching = sorted({x.teacher_id for x in lessons})
    absent = school.teacher(rng.choice(teaching))
    theirs = sorted((x for x in lessons if x.teacher_id == absent.id), key=lambda x: x.hour_id)
    for turn, lesson in enumerate(theirs):
        key = (day, lesson.group_id, lesson.hour_id)
        if key in week.changed:
            continue
        hours = (lesson.hour_id, lesson.hour_id)
        substitute = free_teacher(school, lessons, lesson.hour_id, absent.id, rng)
        if turn == 0 or substitute is None:
            subject = school.subject(lesson.subject_id).abbrev.strip()
            change = Change("Removed", f"Odpadá: {subject}, {absent.surname_first}", hours)
            week.changed[key] = Taught(day, off(lesson), change)
            continue
        change = Change("Substitution", f"Suplování: {substitute.surname_first}", hours)
        week.changed[key] = Taught(day, replace(lesson, teacher_id=substitute.id), change)


def free_teacher(school: School, lessons: list[Lesson], hour_id: int, absent: str, rng):
    busy = {x.teacher_id for x in lessons if x.hour_id == hour_id} | {absent}
    free = [t for t in school.teachers if t.id not in busy]
    return rng.choice(free) if free else None


def room_change(school: School, week: WeekChanges, day: date, rng) -> None:
    lessons = lessons_on(school, day)
    lesson = rng.choice(lessons)
    key = (day, lesson.group_id, lesson.hour_id)
    busy = {x.room_id for x in lessons if x.hour_id == lesson.hour_id}
    free = [r for r in school.rooms if r.id not in busy]
    if key in week.changed or not free:
        return
    room = rng.choice(free)
    hours = (lesson.hour_id, lesson.hour_id)
    change = Change("RoomChanged", f"Změna učebny: {room.abbrev}", hours, display="Room")
    week.changed[key] = Taught(day, replace(lesson, room_id=room.id), change)


def added_lesson(school: School, week: WeekChanges, day: date, rng) -> None:
    """A zeroth lesson for a whole class, in its own room, of a subject it has."""
    school_class = rng.choice(school.classes)
    group = next(g for g in school.groups if g.class_id == school_class.id and not g.half)
    atom = rng.choice([a for a in school.atoms if a.group_id == group.id])
    teacher, subject = school.teacher(atom.teacher_id), school.subject(atom.subject_id)
    room = school.room(school_class.room_id)
    lesson = Lesson(day.isoweekday(), ZEROTH_HOUR, group.id, subject.id, teacher.id, room.id)
    description = (
        f"Přidáno do rozvrhu: {subject.abbrev.strip()}, {teacher.surname_first}, {room.abbrev}"
    )
    change = Change("Added", description, (ZEROTH_HOUR, ZEROTH_HOUR))
    week.added.append(Taught(day, lesson, change))
