"""Deterministic driving-school data for the SARI sandbox, and the changes tests make to it.

Everything is placed relative to a "today", so the courses lie in the future whenever the demo
runs, and two builds for the same day are equal. On purpose:
- one VKU group has already begun: its first two parts are past and drop out of the listing,
  and the registration deadline of its next part has passed (free places 0);
- one VKU group straddles the next daylight-saving change, at the same Zurich wall-clock time;
- one PGS group is full, one VKU group is not released yet, one has no members;
- FABER-IDs have fewer than nine digits, so coursedetail pads them with zeros;
- persons hold the same licence category twice (an expired and a current learner's permit),
  one person's only licence has expired;
- a second driving school with its own client and user, to be refused (NO_PERMISSION);
- an API user linked to no driving school, and one without the right to use the interface.
"""

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from .formats import ZURICH, canonical_faber_id

DEMO_SCHOOL_ID = 6372
OTHER_SCHOOL_ID = 7015

# Sandbox-only credentials. The client secret and password hold "+", "/" and "=", which URL
# encoding changes, so a leak check that only looks for the raw text would miss them.
DEMO_CLIENT_ID = "4_3bcbxd9e24g0gk4swg0kwgcwg4o8k8g4g888kwo80sg8o8s4k"
DEMO_CLIENT_SECRET = "5t+Kx/9Qm=Zp2Vw8+Rb/Lc4e=="  # noqa: S105
DEMO_USERNAME = "fs-zuerichsee+api"
DEMO_PASSWORD = "Lachen/See+2026=Kurs&ü"  # noqa: S105
OTHER_CLIENT_ID = "9_5ufk0wq1d7c4s8ok4c8wg4kcgoswk0s0gwkk8ogsw8cg0c0ck8"
OTHER_CLIENT_SECRET = "Bodensee/7+Hafen=="  # noqa: S105
OTHER_USERNAME = "fs-bodensee"
OTHER_PASSWORD = "Romanshorn+Faehre/1"  # noqa: S105
ORPHAN_USERNAME = "fs-ohne-schule"  # linked to no driving school
ORPHAN_PASSWORD = "Niemand+Schule/0"  # noqa: S105
LOCKED_USERNAME = "fs-gesperrt"  # lacks the right to use the interface
LOCKED_PASSWORD = "Gesperrt=Konto/9"  # noqa: S105

COURSE_TYPES = ("VKU", "PGS")
CAPACITY = {"VKU": 12, "PGS": 5}
REGISTRATION_CLOSES = timedelta(days=2)  # before the part starts


class Clock:
    """Seconds since the epoch: real time, or frozen at `start`; `advance` moves both on."""

    def __init__(self, start: float | None = None) -> None:
        self._start = start
        self._offset = 0.0

    def __call__(self) -> float:
        base = time.time() if self._start is None else self._start
        return base + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += seconds

    def now(self) -> datetime:
        return datetime.fromtimestamp(self(), ZURICH)


@dataclass(frozen=True)
class Venue:
    name: str
    address: str
    zip: int  # an integer in course payloads, a string in person payloads
    city: str


@dataclass
class Member:
    faber_id: str  # canonical
    confirmed: date | None = None


@dataclass
class Part:
    """One SARI course: a part of a group, with its own id."""

    id: int
    name: str
    starts_at: datetime
    venue: Venue
    capacity: int
    released: bool = True
    activated: bool = True
    members: dict[str, Member] = field(default_factory=dict)

    @property
    def deadline(self) -> datetime:
        return self.starts_at - REGISTRATION_CLOSES

    def free_places(self, now: datetime) -> int:
        """0 once the registration deadline has passed, full or not."""
        if now >= self.deadline:
            return 0
        return max(self.capacity - len(self.members), 0)


@dataclass
class Group:
    course_type: str
    name: str
    starts_on: date  # the group's own date; it stays when its first parts are past
    parts: list[Part]


@dataclass(frozen=True)
class Licence:
    category: str
    expires_on: date


@dataclass
class Person:
    faber_id: str  # canonical
    birthdate: date
    first_name: str
    last_name: str
    address: str
    zip: str
    city: str
    licences: list[Licence]


@dataclass
class DrivingSchool:
    id: int
    name: str
    next_part_id: int
    groups: list[Group] = field(default_factory=list)
    sections: set[str] = field(default_factory=lambda: set(COURSE_TYPES))  # modules it runs


@dataclass(frozen=True)
class ApiClient:
    client_id: str
    secret: str = field(repr=False)


@dataclass(frozen=True)
class ApiUser:
    username: str
    password: str = field(repr=False)
    school_id: int | None
    permitted: bool = True


@dataclass
class PartPlace:
    """Where a part sits in the data."""

    school: DrivingSchool
    group: Group
    part: Part


@dataclass
class SariData:
    schools: dict[int, DrivingSchool]
    persons: dict[str, Person]
    clients: dict[str, ApiClient]
    users: dict[str, ApiUser]

    @classmethod
    def build(cls, today: date) -> "SariData":
        """The demo data for `today`; equal for equal days."""
        data = cls(
            schools={
                DEMO_SCHOOL_ID: DrivingSchool(DEMO_SCHOOL_ID, "Fahrschule Zürichsee", 2110001),
                OTHER_SCHOOL_ID: DrivingSchool(OTHER_SCHOOL_ID, "Fahrschule Bodensee", 2120001),
            },
            persons={p.faber_id: p for p in demo_persons(today)},
            clients={
                c.client_id: c
                for c in (
                    ApiClient(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
                    ApiClient(OTHER_CLIENT_ID, OTHER_CLIENT_SECRET),
                )
            },
            users={u.username: u for u in demo_users()},
        )
        add_demo_groups(data, today)
        return data

    # Lookups

    def school(self, school_id: int) -> DrivingSchool:
        return self.schools[school_id]

    def locate(self, part_id: int) -> PartPlace | None:
        for school in self.schools.values():
            for group in school.groups:
                for part in group.parts:
                    if part.id == part_id:
                        return PartPlace(school, group, part)
        return None

    def part(self, part_id: int) -> Part:
        return self.place(part_id).part

    def place(self, part_id: int) -> PartPlace:
        place = self.locate(part_id)
        if place is None:
            raise KeyError(f"no part {part_id}")
        return place

    def groups(self, course_type: str, school_id: int = DEMO_SCHOOL_ID) -> list[Group]:
        return [g for g in self.school(school_id).groups if g.course_type == course_type]

    # Changes between syncs

    def add_group(
        self,
        course_type: str,
        name: str,
        starts: Sequence[datetime],
        venue: Venue,
        *,
        school_id: int = DEMO_SCHOOL_ID,
        capacity: int | None = None,
        released: bool = True,
    ) -> Group:
        """A new group whose parts start at `starts` (aware times), with fresh part ids."""
        school = self.school(school_id)
        size = capacity or CAPACITY.get(course_type, 12)
        parts = []
        for number, start in enumerate(starts, 1):
            label = f"{course_type} Teil {number}"
            parts.append(Part(school.next_part_id, label, start, venue, size, released=released))
            school.next_part_id += 1
        group = Group(course_type, name, starts[0].astimezone(ZURICH).date(), parts)
        school.groups.append(group)
        return group

    def move_part(self, part_id: int, starts_at: datetime) -> None:
        self.part(part_id).starts_at = starts_at

    def change_venue(self, part_id: int, venue: Venue) -> None:
        self.part(part_id).venue = venue

    def cancel_part(self, part_id: int) -> None:
        """Take one part away; a group left without parts goes too."""
        place = self.place(part_id)
        place.group.parts.remove(place.part)
        if not place.group.parts:
            place.school.groups.remove(place.group)

    def cancel_group(self, part_id: int) -> None:
        """Take away the whole group this part belongs to."""
        place = self.place(part_id)
        place.school.groups.remove(place.group)

    def reverse_order(self, school_id: int = DEMO_SCHOOL_ID) -> None:
        """Reverse the groups and the parts inside each, as SARI may send them any day."""
        school = self.school(school_id)
        school.groups.reverse()
        for group in school.groups:
            group.parts.reverse()

    def enrol(self, part_id: int, faber_id: str, confirmed: date | None = None) -> None:
        key = canonical_faber_id(faber_id)
        self.part(part_id).members[key] = Member(key, confirmed)

    def unenrol(self, part_id: int, faber_id: str) -> None:
        self.part(part_id).members.pop(canonical_faber_id(faber_id), None)

    def confirm(self, part_id: int, faber_id: str, on: date) -> None:
        self.part(part_id).members[canonical_faber_id(faber_id)].confirmed = on


# The demo content

LACHEN = Venue("Verkehrsschulungsraum Lachen", "Seestrasse 12", 8853, "Lachen")
PFAEFFIKON = Venue("Kursraum Pfäffikon", "Churerstrasse 24", 8808, "Pfäffikon SZ")
RAPPERSWIL = Venue("Schulungszentrum Rapperswil", "Obere Bahnhofstrasse 7", 8640, "Rapperswil SG")
GALGENEN = Venue("Übungsplatz Galgenen", "Industriestrasse 40", 8854, "Galgenen")
ROMANSHORN = Venue("Kursraum Romanshorn", "Hafenstrasse 3", 8590, "Romanshorn")

LEA = "7181751"
NOAH = "12345678"
MIA = "301234567"
LUCA = "55501234"  # only an expired licence
ELENA = "8765432"  # in no course
JONAS = "44012345"
TIMO = "6600789"
NINA = "22334455"
SARA = "990001"  # a learner of the other driving school


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """`day` at a Zurich wall-clock time."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZURICH)


def next_dst_change(after: date) -> date:
    """The first day after `after` whose noon has another UTC offset than the day before."""
    day = after
    for _ in range(400):
        day += timedelta(days=1)
        if at(day, 12).utcoffset() != at(day - timedelta(days=1), 12).utcoffset():
            return day
    raise ValueError("no daylight-saving change within 400 days")


def evenings(today: date, offsets: Sequence[int], hour: int, minute: int = 0) -> list[datetime]:
    return [at(today + timedelta(days=n), hour, minute) for n in offsets]


def add_demo_groups(data: SariData, today: date) -> None:
    def group(course_type, name, offsets, hour, venue, *, around=today, **options) -> Group:
        starts = [at(around + timedelta(days=n), *hour) for n in offsets]
        return data.add_group(course_type, name, starts, venue, **options)

    started = group("VKU", "Verkehrskunde Lachen", (-6, -4, 1, 3), (18, 0), LACHEN)
    members(started, (LEA, today - timedelta(days=20)), (NOAH, None))
    pgs = group("PGS", "PGS Galgenen", (9, 16, 23), (8, 0), GALGENEN)
    members(pgs, (NOAH, today - timedelta(days=2)), (MIA, None))
    vku = group("VKU", "Verkehrskunde Pfäffikon", (14, 16, 21, 23), (18, 30), PFAEFFIKON)
    members(vku, (JONAS, today - timedelta(days=1)), (TIMO, None))
    change = next_dst_change(today + timedelta(days=10))
    group("VKU", "Verkehrskunde Rapperswil", (-6, -4, 1, 3), (18, 0), RAPPERSWIL, around=change)
    full = group("PGS", "PGS Galgenen Sommer", (60, 67, 74), (13, 0), GALGENEN, capacity=2)
    members(full, (JONAS, None), (NINA, today - timedelta(days=3)))
    group("VKU", "Verkehrskunde Wollerau", (40, 42, 47, 49), (18, 0), LACHEN, released=False)
    group("VKU", "Verkehrskunde Lachen Herbst", (150, 152, 157, 159), (18, 0), LACHEN)
    other = group(
        "VKU", "Verkehrskunde Romanshorn", (12, 14, 19, 21), (18, 0), ROMANSHORN,
        school_id=OTHER_SCHOOL_ID,
    )  # fmt: skip
    members(other, (SARA, None))


def members(group: Group, *people: tuple[str, date | None]) -> None:
    """Enrol each person in every part of the group (SARI enrols per part)."""
    for part in group.parts:
        for faber_id, confirmed in people:
            part.members[faber_id] = Member(faber_id, confirmed)


# FABER-ID, birth date, first and last name, street, zip, city, (licence, expiry in days)...
PERSONS = [
    (LEA, "2008-04-17", "Lea", "Meier", "Seestrasse 3", "8853", "Lachen", ("B", 300)),
    (NOAH, "2007-11-02", "Noah", "Keller", "Bahnhofstrasse 21", "8854", "Siebnen",
     ("A1", -400), ("B", 200), ("A1", 500)),
    (MIA, "2006-06-30", "Mia", "Schmid", "Dorfstrasse 8", "8808", "Pfäffikon SZ", ("A35kW", 365)),
    (LUCA, "2005-01-15", "Luca", "Huber", "Kirchweg 2", "8852", "Altendorf", ("B", -30)),
    (ELENA, "2008-09-09", "Elena", "Rossi", "Churerstrasse 50", "8808", "Pfäffikon SZ",
     ("B", -10), ("B", 330)),
    (JONAS, "2004-02-29", "Jonas", "Frei", "Seefeldstrasse 5", "8640", "Rapperswil SG",
     ("A", 100), ("B", 100)),
    (TIMO, "2007-07-07", "Timo", "Brunner", "Hauptstrasse 14", "8832", "Wollerau", ("B", 250)),
    (NINA, "2006-03-03", "Nina", "Baumann", "Bergstrasse 9", "8856", "Tuggen", ("A1", 150)),
    (SARA, "2008-01-20", "Sara", "Graf", "Hafenstrasse 1", "8590", "Romanshorn", ("B", 200)),
]  # fmt: skip


def demo_persons(today: date) -> list[Person]:
    return [
        Person(faber_id, date.fromisoformat(born), first, last, street, zip_, city, [
            Licence(category, today + timedelta(days=days)) for category, days in licences
        ])
        for faber_id, born, first, last, street, zip_, city, *licences in PERSONS
    ]  # fmt: skip


def demo_users() -> list[ApiUser]:
    return [
        ApiUser(DEMO_USERNAME, DEMO_PASSWORD, DEMO_SCHOOL_ID),
        ApiUser(OTHER_USERNAME, OTHER_PASSWORD, OTHER_SCHOOL_ID),
        ApiUser(ORPHAN_USERNAME, ORPHAN_PASSWORD, None),
        ApiUser(LOCKED_USERNAME, LOCKED_PASSWORD, DEMO_SCHOOL_ID, permitted=False),
    ]
