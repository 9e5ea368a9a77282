"""A deterministic Czech school for the Bakaláři sandbox, and the changes tests make to it.

Every value comes from fixed seeds and the school year, so two builds for the same year are
equal; the dates (events, registration numbers) follow the year the school is built for, the
one containing the day it is built on. The quirks of real servers are here on purpose: ids
with inner and leading spaces ("U  12", " 6"), space-padded subject abbreviations ("M   "),
class names with a leading space (" 1. A"), diacritics in every name, events whose times cross
a daylight-saving change, and each week's changes to the timetable (see `timetable_changes`).
"""

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from .formats import PRAGUE
from .school_year import (
    SATURDAY,
    THURSDAY,
    WEDNESDAY,
    SchoolYear,
    last_sunday,
    monday_of,
    nth_weekday,
    weekday_on_or_before,
)

SCHOOL_ID = "7281"
SCHOOL_NAME = "Gymnázium Jana Keplera, Praha 6"

# Sandbox-only credentials. The demo connection syncs with the three teachers' accounts.
DEMO_USERNAME = "synchronizace"
DEMO_PASSWORD = "Sandbox-Řeřicha-42"  # noqa: S105
TEACHER_USERNAME = "novakova"
TEACHER_PASSWORD = "Učitelka-Tajné-7"  # noqa: S105
PUPIL_USERNAME = "zak.hajek"
PUPIL_PASSWORD = "Žák-Heslo-3"  # noqa: S105
PARENT_USERNAME = "rodic.hajkova"
PARENT_PASSWORD = "Rodič-Heslo-5"  # noqa: S105
# A third teacher, of other classes than the first two.
THIRD_TEACHER_USERNAME = "kral"
THIRD_TEACHER_PASSWORD = "Učitel-Heslo-9"  # noqa: S105
DEMO_ACCOUNTS = (
    (DEMO_USERNAME, DEMO_PASSWORD),
    (TEACHER_USERNAME, TEACHER_PASSWORD),
    (THIRD_TEACHER_USERNAME, THIRD_TEACHER_PASSWORD),
)

GRADES = range(1, 7)
LETTERS = "ABCDE"
SURNAMES = [
    ("Novák", "Nováková"), ("Svoboda", "Svobodová"), ("Novotný", "Novotná"),
    ("Dvořák", "Dvořáková"), ("Černý", "Černá"), ("Procházka", "Procházková"),
    ("Kučera", "Kučerová"), ("Veselý", "Veselá"), ("Horák", "Horáková"), ("Němec", "Němcová"),
    ("Pospíšil", "Pospíšilová"), ("Pokorný", "Pokorná"), ("Hájek", "Hájková"),
    ("Král", "Králová"), ("Jelínek", "Jelínková"), ("Růžička", "Růžičková"),
    ("Beneš", "Benešová"), ("Fiala", "Fialová"), ("Sedláček", "Sedláčková"),
    ("Doležal", "Doležalová"), ("Zeman", "Zemanová"), ("Kolář", "Kolářová"),
    ("Čermák", "Čermáková"), ("Vaněk", "Vaňková"), ("Kříž", "Křížová"),
    ("Šťastný", "Šťastná"), ("Říha", "Říhová"), ("Žák", "Žáková"), ("Šimek", "Šimková"),
    ("Bartoš", "Bartošová"), ("Štěpánek", "Štěpánková"), ("Ševčík", "Ševčíková"),
]  # fmt: skip
BOYS = [
    "Jan", "Jakub", "Tomáš", "Matěj", "Vojtěch", "Adam", "Ondřej", "Lukáš", "Filip", "Šimon",
    "Jiří", "Dominik", "Štěpán", "Vít", "Matyáš", "Kryštof", "Radim", "Přemysl",
]  # fmt: skip
GIRLS = [
    "Tereza", "Eliška", "Anna", "Karolína", "Adéla", "Natálie", "Kateřina", "Barbora", "Lucie",
    "Klára", "Veronika", "Zuzana", "Markéta", "Šárka", "Ludmila", "Žaneta", "Dagmar", "Jiřina",
]  # fmt: skip
DEGREES = ["Mgr.", "Mgr.", "Ing.", "RNDr.", "PaedDr.", "Bc.", "Mgr."]

# (id, abbrev, name, lessons a week, split into halves?)
SUBJECTS = [
    (" 1", "ČJL ", "Český jazyk a literatura", 4, False),
    ("10", "M   ", "Matematika", 4, False),
    ("27", "AJ  ", "Anglický jazyk", 3, True),
    ("30", "NJ  ", "Německý jazyk", 2, False),
    (" 3", "D   ", "Dějepis", 2, False),
    (" 9", "Z   ", "Zeměpis", 2, False),
    (" 6", "B   ", "Biologie", 2, False),
    ("11", "F   ", "Fyzika", 2, False),
    ("12", "Ch  ", "Chemie", 2, False),
    ("38", "ZSV ", "Základy společenských věd", 1, False),
    ("41", "IVT ", "Informatika a výpočetní technika", 2, False),
    ("15", "TV  ", "Tělesná výchova", 2, True),
    ("44", "HV  ", "Hudební výchova", 1, False),
    ("45", "VV  ", "Výtvarná výchova", 1, False),
]
SPECIAL_ROOMS = {"TV  ": ("Tv1", "Tv2"), "IVT ": ("IVT",), "F   ": ("F",), "Ch  ": ("CH",)}
LANGUAGE_ROOM = "J 33"
HOURS_A_DAY = 6
FIRST_LESSON_HOUR_ID = 3  # hour ids are not captions: id 2 is the zeroth lesson

ID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass
class Subject:
    id: str
    abbrev: str
    name: str


@dataclass
class Teacher:
    id: str
    abbrev: str
    first_name: str
    last_name: str
    degree: str = ""

    @property
    def name(self) -> str:
        """As timetables show it: degree, first name, surname."""
        return " ".join(p for p in (self.degree, self.first_name, self.last_name) if p)

    @property
    def surname_first(self) -> str:
        return f"{self.last_name} {self.first_name}"


@dataclass
class Room:
    id: str
    abbrev: str
    name: str = ""


@dataclass
class SchoolClass:
    id: str
    abbrev: str
    name: str
    grade: int
    room_id: str


@dataclass
class Group:
    id: str
    class_id: str
    abbrev: str
    name: str
    half: str = (
        ""  # "" for the whole class, else the split it belongs to: "boys", "girls", "1", "2"
    )


@dataclass
class Pupil:
    id: str
    first_name: str
    last_name: str
    class_id: str
    girl: bool
    language_half: str
    registration_number: str

    @property
    def display_name(self) -> str:
        return f"{self.last_name} {self.first_name}"


@dataclass
class Lesson:
    """One atom of the permanent timetable."""

    day: int  # 1 = Monday
    hour_id: int
    group_id: str
    subject_id: str | None  # None: a lesson removed or cancelled that week
    teacher_id: str | None
    room_id: str | None


@dataclass
class Atom:
    """One teaching assignment in the grade book: a subject taught to a group by a teacher."""

    id: str
    group_id: str
    subject_id: str
    teacher_id: str


@dataclass
class EventTime:
    start: datetime
    end: datetime
    whole_day: bool = False


@dataclass
class Event:
    id: str
    title: str
    times: list[EventTime]
    class_ids: list[str]
    teacher_ids: list[str]
    room_ids: list[str]
    changed: datetime
    description: str = ""
    kind: tuple[str, str, str] = ("SA", "škol", "školní akce")


@dataclass
class Account:
    username: str
    password: str
    user_type: str  # "teacher", "student", "parents"
    person_id: str  # the teacher or the pupil (for parents: the child)
    modules: dict[str, list[str]]
    # An unverified assumption, opt-in only (`School.build(whole_school_account=True)`): that
    # some account (an administrator's) sees every timetable and group of the school. No public
    # source shows such an account; real teachers see their own slice.
    sees_everything: bool = False
    parent_name: str = ""


TEACHER_MODULES = {
    "Komens": ["ShowReceivedMessages", "ShowSentMessages", "ShowNoticeBoardMessages"],
    "Events": ["ShowEvents"],
    "Timetable": ["ShowTimetable"],
    "Substitutions": ["ShowSubstitutions"],
    "Marks": ["ShowMarks"],
}
FAMILY_MODULES = {
    "Komens": ["ShowReceivedMessages", "ShowSentMessages", "ShowNoticeBoardMessages"],
    "Absence": ["ShowAbsence", "ShowAbsencePercentage"],
    "Events": ["ShowEvents"],
    "Marks": ["ShowMarks", "ShowFinalMarks", "PredictMarks"],
    "Timetable": ["ShowTimetable"],
    "Substitutions": ["ShowSubstitutions"],
    "Subjects": ["ShowSubjects", "ShowSubjectThemes"],
    "Homeworks": ["ShowHomeworks"],
}


def seeded(part: str, seed: int) -> random.Random:
    return random.Random(f"{part}-{seed}")  # noqa: S311 - reproducible data, not secrets


def short_ids(rng: random.Random, count: int, length: int, taken: set[str]) -> list[str]:
    """`count` new distinct ids of `length` characters, none of them in `taken`."""
    ids = []
    while len(ids) < count:
        candidate = "".join(rng.choice(ID_ALPHABET) for _ in range(length))
        if candidate not in taken:
            taken.add(candidate)
            ids.append(candidate)
    return ids


def teacher_id(rng: random.Random, index: int, taken: set[str]) -> str:
    """Every third teacher has an old numeric id padded with spaces ("U  12")."""
    if index % 3 == 1:
        candidate = f"U{index + 11:>4}"
        taken.add(candidate)
        return candidate
    return "U" + short_ids(rng, 1, 4, taken)[0]


@dataclass
class School:
    """The whole school; the sandbox renders its answers from this on every request."""

    subjects: list[Subject] = field(default_factory=list)
    teachers: list[Teacher] = field(default_factory=list)
    rooms: list[Room] = field(default_factory=list)
    classes: list[SchoolClass] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    pupils: list[Pupil] = field(default_factory=list)
    lessons: list[Lesson] = field(default_factory=list)
    atoms: list[Atom] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    accounts: list[Account] = field(default_factory=list)
    seed: int = 2025
    added: int = 0  # pupils added by `add_pupil`, for their ids
    left: set[tuple[str, str]] = field(default_factory=set)  # (atom id, pupil id) that left
    year: SchoolYear = field(default_factory=lambda: SchoolYear.containing(date.today()))

    @classmethod
    def build(
        cls, seed: int = 2025, today: date | None = None, *, whole_school_account: bool = False
    ) -> "School":
        """The school in the year containing `today` (the real date unless given).

        Each account sees what a real one does: a teacher their own timetable and teaching
        assignments, a pupil or parent the pupil's own. `whole_school_account` lets the first
        account see the whole school instead: an unverified assumption kept for tests and
        benchmarks that need a whole school through one login, never the demo's default.
        """
        school = cls(seed=seed, year=SchoolYear.containing(today or date.today()))
        school.subjects = [Subject(i, a, n) for i, a, n, _, _ in SUBJECTS]
        school.teachers = make_teachers(seeded("teachers", seed))
        school.rooms = make_rooms(seeded("rooms", seed))
        school.classes, school.groups = make_classes(seeded("classes", seed), school.rooms)
        school.pupils = make_pupils(seeded("pupils", seed), school.classes, school.year)
        school.atoms = make_atoms(school)
        school.lessons = make_lessons(school)
        school.events = make_events(seeded("events", seed), school)
        school.accounts = make_accounts(school)
        school.accounts[0].sees_everything = whole_school_account
        return school

    # Lookups

    def account(self, username: str) -> Account | None:
        return next((a for a in self.accounts if a.username == username), None)

    def teacher(self, teacher_id: str) -> Teacher | None:
        return next((t for t in self.teachers if t.id == teacher_id), None)

    def pupil(self, pupil_id: str) -> Pupil | None:
        return next((p for p in self.pupils if p.id == pupil_id), None)

    def school_class(self, class_id: str) -> SchoolClass | None:
        return next((c for c in self.classes if c.id == class_id), None)

    def group(self, group_id: str) -> Group | None:
        return next((g for g in self.groups if g.id == group_id), None)

    def subject(self, subject_id: str) -> Subject | None:
        return next((s for s in self.subjects if s.id == subject_id), None)

    def room(self, room_id: str) -> Room | None:
        return next((r for r in self.rooms if r.id == room_id), None)

    def atom(self, atom_id: str) -> Atom | None:
        return next((a for a in self.atoms if a.id == atom_id), None)

    def members(self, group: Group) -> list[Pupil]:
        return [p for p in self.pupils if p.class_id == group.class_id and in_half(p, group.half)]

    def groups_of(self, pupil: Pupil) -> list[Group]:
        return [g for g in self.groups if g.class_id == pupil.class_id and in_half(pupil, g.half)]

    def atoms_of(self, account: Account) -> list[Atom]:
        """The sync account sees one atom per group, which covers every pupil and split."""
        if not account.sees_everything:
            return [a for a in self.atoms if a.teacher_id == account.person_id]
        chosen = {}
        for atom in self.atoms:  # the lowest id per group, whatever the order of the list
            chosen[atom.group_id] = min(atom.id, chosen.get(atom.group_id, atom.id))
        return [atom for atom in self.atoms if chosen[atom.group_id] == atom.id]

    def lessons_of(self, account: Account) -> list[Lesson]:
        sees = self.sees(account)
        return [x for x in self.lessons if sees(x)]

    def sees(self, account: Account) -> Callable[[Lesson], bool]:
        """Whether a lesson is in the account's timetable: the teacher's, the pupil's groups'."""
        if account.sees_everything:
            return lambda lesson: True
        if account.user_type == "teacher":
            return lambda lesson: lesson.teacher_id == account.person_id
        pupil = self.pupil(account.person_id)
        group_ids = {g.id for g in self.groups_of(pupil)} if pupil else set()
        return lambda lesson: lesson.group_id in group_ids

    def class_ids_of(self, account: Account) -> set[str]:
        if account.sees_everything:
            return {c.id for c in self.classes}
        group_ids = {x.group_id for x in self.lessons_of(account)}
        return {g.class_id for g in self.groups if g.id in group_ids}

    # Changes between syncs

    def add_pupil(self, class_id: str, last_name: str, first_name: str, *, girl=False) -> Pupil:
        """A new pupil at the end of the list, with a fresh id ("N0001", "N0002", ...)."""
        self.added += 1
        pupil = Pupil(
            id=f"N{self.added:04d}",
            first_name=first_name,
            last_name=last_name,
            class_id=class_id,
            girl=girl,
            language_half="1",
            registration_number=f"{self.year.first}/9{self.added:03d}",
        )
        self.pupils.append(pupil)
        return pupil

    def rename_pupil(self, pupil_id: str, *, first_name=None, last_name=None) -> Pupil:
        pupil = self.pupil(pupil_id)
        pupil.first_name = first_name or pupil.first_name
        pupil.last_name = last_name or pupil.last_name
        return pupil

    def rename_teacher(self, teacher_id: str, *, first_name=None, last_name=None) -> Teacher:
        teacher = self.teacher(teacher_id)
        teacher.first_name = first_name or teacher.first_name
        teacher.last_name = last_name or teacher.last_name
        return teacher

    def leave_assignment(self, pupil_id: str, atom_id: str) -> None:
        """The pupil leaves one teaching assignment's group (a changed optional subject) and
        stays in their class and its other groups."""
        self.left.add((atom_id, pupil_id))

    def taught(self, atom: Atom) -> list[Pupil]:
        """The pupils of an assignment: its group's, less those who left it."""
        group = self.group(atom.group_id)
        return [p for p in self.members(group) if (atom.id, p.id) not in self.left]

    def remove_pupil(self, pupil_id: str) -> Pupil:
        pupil = self.pupil(pupil_id)
        self.pupils.remove(pupil)
        return pupil

    def reverse_order(self) -> None:
        """Every list the API returns comes back in the opposite order."""
        for items in (self.subjects, self.teachers, self.rooms, self.classes, self.groups):
            items.reverse()
        for items in (self.pupils, self.lessons, self.atoms, self.events):
            items.reverse()


def in_half(pupil: Pupil, half: str) -> bool:
    if half in ("boys", "girls"):
        return pupil.girl == (half == "girls")
    return half in ("", pupil.language_half)


def make_teachers(rng: random.Random) -> list[Teacher]:
    # The two teachers the accounts belong to are named, so that tests read as stories.
    names = [("Ing.", "Pavel", "Dvořák"), ("Mgr.", "Jana", "Nováková")]
    for index in range(len(names), 42):
        girl = index % 2 == 0
        last = rng.choice(SURNAMES)[1 if girl else 0]
        names.append((DEGREES[index % len(DEGREES)], rng.choice(GIRLS if girl else BOYS), last))
    taken, abbrevs = set(), set()
    return [
        Teacher(teacher_id(rng, index, taken), unique_abbrev(last, abbrevs), first, last, degree)
        for index, (degree, first, last) in enumerate(names)
    ]


def unique_abbrev(surname: str, taken: set[str]) -> str:
    for length in range(2, len(surname) + 1):
        candidate = surname[:length]
        if candidate not in taken:
            taken.add(candidate)
            return candidate
    candidate = f"{surname[:2]}{len(taken)}"
    taken.add(candidate)
    return candidate


def make_rooms(rng: random.Random) -> list[Room]:
    home = [f"{g}{letter.lower()}" for g in GRADES for letter in LETTERS]
    special = [name for names in SPECIAL_ROOMS.values() for name in names] + [LANGUAGE_ROOM]
    abbrevs = home + special
    ids = short_ids(rng, len(abbrevs), 2, set())
    names = {"Tv1": "Tělocvična 1", "Tv2": "Tělocvična 2", "IVT": "Počítačová učebna"}
    return [Room(i, a, names.get(a, "")) for i, a in zip(ids, abbrevs, strict=True)]


def make_classes(rng: random.Random, rooms: list[Room]) -> tuple[list[SchoolClass], list[Group]]:
    ids = short_ids(rng, len(GRADES) * len(LETTERS) * 6, 2, set())
    classes, groups = [], []
    for grade in GRADES:
        for letter in LETTERS:
            abbrev = f"{grade}.{letter}"
            room = next(r for r in rooms if r.abbrev == f"{grade}{letter.lower()}")
            school_class = SchoolClass(ids.pop(), abbrev, f" {grade}. {letter}", grade, room.id)
            classes.append(school_class)
            groups.extend(class_groups(school_class, ids))
    return classes, groups


def class_groups(school_class: SchoolClass, ids: list[str]) -> list[Group]:
    abbrev, name, cid = school_class.abbrev, school_class.name, school_class.id
    return [
        Group(ids.pop(), cid, abbrev, name),
        Group(ids.pop(), cid, f"{abbrev} Chl", f"{name} chlapci", "boys"),
        Group(ids.pop(), cid, f"{abbrev} Dív", f"{name} dívky", "girls"),
        Group(ids.pop(), cid, f"{abbrev} AJ1", f"{name} Anglický jazyk 1", "1"),
        Group(ids.pop(), cid, f"{abbrev} AJ2", f"{name} Anglický jazyk 2", "2"),
    ]


def make_pupils(rng: random.Random, classes: list[SchoolClass], year: SchoolYear) -> list[Pupil]:
    taken, pupils = set(), []
    for school_class in classes:
        size = 18 + rng.randrange(5)
        for index in range(size):
            girl = rng.random() < 0.5
            last = rng.choice(SURNAMES)[1 if girl else 0]
            first = rng.choice(GIRLS if girl else BOYS)
            pupil_id = short_ids(rng, 1, 5, taken)[0]
            entered = year.first - school_class.grade + 1  # the year of their first grade
            number = f"{entered}/{len(pupils) + 1:04d}"
            half = "1" if index % 2 == 0 else "2"
            pupils.append(Pupil(pupil_id, first, last, school_class.id, girl, half, number))
    return pupils


def make_atoms(school: School) -> list[Atom]:
    """Who teaches what to whom: each subject's teachers take the classes in turn."""
    atoms = []
    for index, group in enumerate(school.groups):
        for subject_id, _, _, _, split in SUBJECTS:
            if group_teaches(group, subject_id, split):
                teacher = teacher_for(school.teachers, subject_id, index)
                atoms.append(Atom(f"{group.id}{subject_id}", group.id, subject_id, teacher.id))
    return atoms


def group_teaches(group: Group, subject_id: str, split: bool) -> bool:
    if not split:
        return group.half == ""
    if subject_id == "15":
        return group.half in ("boys", "girls")
    return group.half in ("1", "2")


def teacher_for(teachers: list[Teacher], subject_id: str, turn: int) -> Teacher:
    position = next(i for i, s in enumerate(SUBJECTS) if s[0] == subject_id)
    pool = [t for i, t in enumerate(teachers) if position in teacher_subjects(i)]
    return pool[turn % len(pool)]


def teacher_subjects(index: int) -> tuple[int, int]:
    """Each teacher teaches two subjects (positions in SUBJECTS)."""
    return index % len(SUBJECTS), (index * 5 + 3) % len(SUBJECTS)


def make_lessons(school: School) -> list[Lesson]:
    """Each class's week: its subjects in a rotated order, split subjects taught in halves."""
    atoms = {(a.group_id, a.subject_id): a for a in school.atoms}
    lessons = []
    for turn, school_class in enumerate(school.classes):
        week = [s for s in SUBJECTS for _ in range(s[3])]
        week = week[turn % len(week) :] + week[: turn % len(week)]
        groups = [g for g in school.groups if g.class_id == school_class.id]
        for slot, (subject_id, abbrev, *_) in enumerate(week):
            day, hour = divmod(slot, HOURS_A_DAY)
            for group in groups:
                atom = atoms.get((group.id, subject_id))
                if atom:
                    room = lesson_room(school, school_class, abbrev, group.half)
                    hour_id = FIRST_LESSON_HOUR_ID + hour
                    lessons.append(
                        Lesson(day + 1, hour_id, group.id, subject_id, atom.teacher_id, room)
                    )
    return lessons


def lesson_room(school: School, school_class: SchoolClass, abbrev: str, half: str) -> str:
    names = SPECIAL_ROOMS.get(abbrev)
    if names:
        name = names[1] if half in ("girls",) and len(names) > 1 else names[0]
        return next(r.id for r in school.rooms if r.abbrev == name)
    if half == "2":
        return next(r.id for r in school.rooms if r.abbrev == LANGUAGE_ROOM)
    return school_class.room_id


def at(day: date, hour: int = 0, minute: int = 0) -> datetime:
    """Prague wall-clock time; the offset follows daylight saving (+01:00 or +02:00)."""
    return datetime.combine(day, time(hour, minute), tzinfo=PRAGUE)


def whole_day(first: date, last: date | None = None) -> EventTime:
    return EventTime(at(first), at(last or first, 23, 59), whole_day=True)


def make_events(rng: random.Random, school: School) -> list[Event]:
    ids = short_ids(rng, 40, 5, set())
    by_abbrev = {c.abbrev: c.id for c in school.classes}
    head = school.teachers[0].id
    gym = next(r.id for r in school.rooms if r.abbrev == "Tv1")
    year = school.year
    autumn_change, spring_change = last_sunday(year.first, 10), last_sunday(year.first + 1, 3)
    concert = weekday_on_or_before(date(year.first, 12, 21), THURSDAY)
    sports_day = weekday_on_or_before(year.end - timedelta(days=5), WEDNESDAY)
    fixed = [
        ("Zahájení školního roku", [whole_day(year.first_school_day)], [], [head], []),
        # Leaves on summer time (+02:00) on Friday, returns on winter time (+01:00) on Monday.
        ("Exkurze Vídeň", [EventTime(at(autumn_change - timedelta(days=2), 7),
                                     at(autumn_change + timedelta(days=1), 18))],
         [by_abbrev["3.A"], by_abbrev["3.B"]], [school.teachers[1].id], []),
        ("Třídní schůzky", [span(nth_weekday(year.first, 11, THURSDAY, 2), 17, 19)],
         [], [t.id for t in school.teachers[:6]], []),
        ("Vánoční koncert", [span(concert, 18, 20)], [], [], [gym]),
        ("Den otevřených dveří", [span(nth_weekday(year.first + 1, 1, SATURDAY, 3), 9, 13)],
         [], [head], []),
        # Leaves on winter time (+01:00) on Saturday, returns on summer time (+02:00) on Wednesday.
        ("Lyžařský výcvikový kurz", [EventTime(at(spring_change - timedelta(days=1), 8),
                                               at(spring_change + timedelta(days=3), 16))],
         [by_abbrev["2.A"], by_abbrev["2.B"]], [school.teachers[2].id], []),
        ("Sportovní den", [whole_day(sports_day)], [], [], [gym]),
        ("Ukončení školního roku", [whole_day(year.last_school_day)], [], [head], []),
    ]  # fmt: skip
    events = [fixed_event(ids.pop(), *spec) for spec in fixed]
    for turn, school_class in enumerate(school.classes[::3]):
        events.append(class_trip(ids.pop(), school_class, turn, year))
    return sorted(events, key=lambda e: e.times[0].start)


def span(day: date, first_hour: int, last_hour: int) -> EventTime:
    return EventTime(at(day, first_hour), at(day, last_hour))


def fixed_event(event_id, title, times, class_ids, teacher_ids, room_ids) -> Event:
    changed = at(times[0].start.date() - timedelta(days=7), 10, 30)
    return Event(event_id, title, times, class_ids, teacher_ids, room_ids, changed)


def class_trip(event_id: str, school_class: SchoolClass, turn: int, year: SchoolYear) -> Event:
    """A theatre visit every three weeks or so, moved past a day off to the next school day."""
    day = monday_of(year.start) + timedelta(weeks=3 + turn * 3, days=turn % 5)
    day = next(d for d in year.days_from(day, 1) if year.is_school_day(d))
    times = [EventTime(at(day, 8), at(day, 12, 30))]
    changed = at(day - timedelta(days=10), 14, 5)
    title = f"Divadelní představení {school_class.abbrev}"
    return Event(event_id, title, times, [school_class.id], [], [], changed, "Vstupné 120 Kč.")


def make_accounts(school: School) -> list[Account]:
    child = next(p for p in school.pupils if p.class_id == school.classes[0].id)
    child.first_name, child.last_name, child.girl = "Matěj", "Hájek", False
    sibling = next(p for p in school.pupils if p.class_id == school.classes[7].id)
    sibling.first_name, sibling.last_name, sibling.girl = "Eliška", "Hájková", True
    return [
        Account(DEMO_USERNAME, DEMO_PASSWORD, "teacher", school.teachers[0].id,
                dict(TEACHER_MODULES)),
        Account(TEACHER_USERNAME, TEACHER_PASSWORD, "teacher", school.teachers[1].id,
                dict(TEACHER_MODULES)),
        Account(THIRD_TEACHER_USERNAME, THIRD_TEACHER_PASSWORD, "teacher",
                school.teachers[20].id, dict(TEACHER_MODULES)),
        Account(PUPIL_USERNAME, PUPIL_PASSWORD, "student", child.id, dict(FAMILY_MODULES)),
        Account(PARENT_USERNAME, PARENT_PASSWORD, "parents", sibling.id, dict(FAMILY_MODULES),
                parent_name="Hájková Věra"),
    ]  # fmt: skip
