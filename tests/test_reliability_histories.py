"""Random upstream histories, synced step by step, leave the mirror equal to upstream's last state.

Hypothesis changes the sandboxes' data between runs (adds, changes, removals, reorders, the same
id twice in one payload); after every run the mirror's active rows must be exactly what upstream
lists now, with the values of the last copy of a repeated id (as the writer keeps it), every
row with one ExternalRef, and nothing upstream still has deactivated.
"""

import itertools
from datetime import timedelta

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.models import SyncRun
from sync.sources.bakalari import dataset as bakalari_data
from sync.sources.bakalari.models import Enrolment, Event, Pupil
from sync.sources.bakalari.sandbox import BakalariSandbox
from sync.sources.sari import dataset as sari_data
from sync.sources.sari.models import CourseSession, Participant
from sync.sources.sari.sandbox import SariSandbox
from tenants.models import Tenant
from tests.fixtures_bakalari import BAKALARI_PREFIX, BAKALARI_URL
from tests.fixtures_sari import SARI_DEMO_CREDENTIALS, SARI_PREFIX, SARI_TODAY, SARI_URL
from tests.reliability_helpers import refs_agree_with_rows, small_school
from tests.sync_helpers import run_sync

pytestmark = pytest.mark.django_db

HISTORIES = settings(
    max_examples=20,
    deadline=None,
    database=None,  # no .hypothesis folder in the work tree
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
names = (
    st.text("aábcčdďeéěfhiíjklmnňoóprřsštťuúůvyýzžAČŘŠŽ '-", min_size=1, max_size=24)
    .map(str.strip)
    .filter(bool)
)
index = st.integers(min_value=0, max_value=10_000)
tenants = itertools.count()


def fresh_connection(make_connection, **fields):
    """Each example gets its own tenant: the database is not rolled back between examples."""
    tenant = Tenant.objects.create(name="Historie", slug=f"historie-{next(tenants)}")
    return make_connection(tenant=tenant, **fields)


def synced_ok(connection, sandbox) -> None:
    run = run_sync(connection, sandbox)
    assert run.status == SyncRun.Status.OK, run.error_message
    assert refs_agree_with_rows(connection.tenant) == []


# Bakaláři: pupils (repeated in every roster they belong to), enrolments, events

bakalari_step = st.one_of(
    st.tuples(st.just("add_pupil"), index, names, names),
    st.tuples(st.just("rename_pupil"), index, names),
    st.tuples(st.just("remove_pupil"), index),
    st.tuples(st.just("restore_pupil"), index),
    st.tuples(st.just("repeat_pupil"), index, names),
    st.tuples(st.just("retitle_event"), index, names),
    st.tuples(st.just("remove_event"), index),
    st.tuples(st.just("reorder")),
)


class School:
    """The sandbox's school and what the history took out of it (to bring some back)."""

    def __init__(self, school) -> None:
        self.school, self.removed_pupils = school, []

    def apply(self, step) -> None:
        getattr(self, step[0])(*step[1:])

    def add_pupil(self, at, last, first) -> None:
        classes = self.school.classes
        self.school.add_pupil(classes[at % len(classes)].id, last, first)

    def rename_pupil(self, at, last) -> None:
        pupil = self.school.pupils[at % len(self.school.pupils)]
        pupil.last_name = last  # this copy only, when the id is repeated

    def remove_pupil(self, at) -> None:
        if len({p.id for p in self.school.pupils}) > 2:  # an empty roster would be "partial"
            self.removed_pupils.append(self.school.pupils.pop(at % len(self.school.pupils)))

    def restore_pupil(self, at) -> None:
        if self.removed_pupils:
            self.school.pupils.append(self.removed_pupils.pop(at % len(self.removed_pupils)))

    def repeat_pupil(self, at, last) -> None:
        """The same id again in the same groups with another name: upstream's later copy wins."""
        pupil = self.school.pupils[at % len(self.school.pupils)]
        copy = bakalari_data.Pupil(**{**vars(pupil), "last_name": last})
        self.school.pupils.insert(min(len(self.school.pupils), at % 50), copy)

    def retitle_event(self, at, title) -> None:
        if self.school.events:
            self.school.events[at % len(self.school.events)].title = title

    def remove_event(self, at) -> None:
        if self.school.events:
            self.school.events.pop(at % len(self.school.events))

    def reorder(self) -> None:
        self.school.reverse_order()

    def expected_pupils(self) -> dict[str, tuple]:
        """Last copy wins: copies share their groups, so every roster ends with the last one."""
        return {p.id: (p.first_name, p.last_name, p.class_id) for p in self.school.pupils}

    def expected_enrolments(self) -> set[str]:
        school = self.school
        account = school.account(bakalari_data.DEMO_USERNAME)
        return {
            f"{atom.id}|{pupil.id}"
            for atom in school.atoms_of(account)
            for pupil in school.members(school.group(atom.group_id))
        }

    def expected_events(self) -> dict[str, str]:
        return {e.id: e.title for e in self.school.events}


def mirrored_bakalari(tenant) -> tuple[dict, set, dict]:
    pupils = Pupil.objects.filter(tenant=tenant, active=True).select_related("school_class")
    return (
        {p.external_id: (p.first_name, p.last_name, p.school_class.external_id) for p in pupils},
        set(
            Enrolment.objects.filter(tenant=tenant, active=True).values_list(
                "external_id", flat=True
            )
        ),
        dict(Event.objects.filter(tenant=tenant, active=True).values_list("external_id", "title")),
    )


@HISTORIES
@given(history=st.lists(st.lists(bakalari_step, min_size=1, max_size=4), min_size=1, max_size=4))
def test_bakalari_mirror_follows_any_history(
    history, make_connection, bakalari_clock, bakalari_fast_retries
):
    upstream = School(small_school())
    sandbox = BakalariSandbox(BAKALARI_PREFIX, school=upstream.school, clock=bakalari_clock)
    connection = fresh_connection(
        make_connection,
        base_url=BAKALARI_URL,
        options={"username": bakalari_data.DEMO_USERNAME},
        secrets={"password": bakalari_data.DEMO_PASSWORD},
    )
    synced_ok(connection, sandbox)
    for steps in history:
        for step in steps:
            upstream.apply(step)
        synced_ok(connection, sandbox)
        pupils, enrolments, events = mirrored_bakalari(connection.tenant)
        assert pupils == upstream.expected_pupils()
        assert enrolments == upstream.expected_enrolments()
        assert events == upstream.expected_events()


# SARI: courses of parts, whose members are fetched part by part

PERSONS = [person[0] for person in sari_data.PERSONS if person[0] != sari_data.SARA]
VENUES = [sari_data.LACHEN, sari_data.PFAEFFIKON, sari_data.RAPPERSWIL, sari_data.GALGENEN]

sari_step = st.one_of(
    st.tuples(st.just("add_group"), st.sampled_from(["VKU", "PGS"]), names, index),
    st.tuples(st.just("move_part"), index, st.integers(min_value=3, max_value=90)),
    st.tuples(st.just("change_venue"), index, st.sampled_from(VENUES)),
    st.tuples(st.just("cancel_part"), index),
    st.tuples(st.just("cancel_group"), index),
    st.tuples(st.just("enrol"), index, st.sampled_from(PERSONS)),
    st.tuples(st.just("unenrol"), index, index),
    st.tuples(st.just("repeat_part"), index),
    st.tuples(st.just("reorder")),
)


class DrivingSchool:
    def __init__(self, sandbox) -> None:
        self.sandbox, self.data = sandbox, sandbox.data

    def apply(self, step) -> None:
        getattr(self, step[0])(*step[1:])

    def groups(self):
        return [g for t in sari_data.COURSE_TYPES for g in self.data.groups(t)]

    def listed(self):
        """(group, part) as getCourses lists them now: released, active, not yet begun."""
        now = self.sandbox.clock.now()
        return [
            (group, part)
            for group in self.groups()
            for part in group.parts
            if part.released and part.activated and part.starts_at > now
        ]

    def part(self, at):
        listed = self.listed()
        return listed[at % len(listed)][1] if listed else None

    def add_group(self, course_type, name, at) -> None:
        today = self.sandbox.clock.now().replace(second=0, microsecond=0)
        starts = [today + timedelta(days=5 + at % 30 + 7 * n) for n in range(3)]
        self.data.add_group(course_type, name, starts, VENUES[at % len(VENUES)])

    def move_part(self, at, days) -> None:
        if part := self.part(at):
            part.starts_at = self.sandbox.clock.now().replace(second=0, microsecond=0) + timedelta(
                days=days
            )

    def change_venue(self, at, venue) -> None:
        if part := self.part(at):
            part.venue = venue

    def cancel_part(self, at) -> None:
        if len(self.listed()) > 1 and (part := self.part(at)):
            self.data.cancel_part(part.id)

    def cancel_group(self, at) -> None:
        if len({id(g) for g, _ in self.listed()}) > 1 and (part := self.part(at)):
            self.data.cancel_group(part.id)

    def enrol(self, at, faber_id) -> None:
        if part := self.part(at):
            self.data.enrol(part.id, faber_id)

    def unenrol(self, at, member) -> None:
        part = self.part(at)
        if part and part.members:
            self.data.unenrol(part.id, list(part.members)[member % len(part.members)])

    def repeat_part(self, at) -> None:
        """One part listed twice in its group: the same session and members, fetched twice."""
        listed = self.listed()
        if listed:
            group, part = listed[at % len(listed)]
            group.parts.append(part)

    def reorder(self) -> None:
        self.data.reverse_order()

    def expected_sessions(self) -> dict[str, tuple]:
        now = self.sandbox.clock.now()
        return {
            str(part.id): (group.name, part.starts_at, part.venue.city, part.free_places(now))
            for group, part in self.listed()
        }

    def expected_participants(self) -> set[str]:
        return {f"{part.id}:{faber}" for _, part in self.listed() for faber in part.members}


def mirrored_sari(tenant) -> tuple[dict, set]:
    sessions = CourseSession.objects.filter(tenant=tenant, active=True).select_related("course")
    for session in sessions:
        assert session.course.active, f"session {session.external_id} of an inactive course"
    participants = Participant.objects.filter(
        tenant=tenant, active=True, session__active=True
    ).values_list("external_id", flat=True)
    return (
        {
            s.external_id: (s.course.name, s.starts_at, s.venue_city, s.free_places)
            for s in sessions
        },
        set(participants),
    )


@pytest.fixture
def sari_today():
    """The sync tells a held part from a cancelled one by the process's clock: it must read the
    sandbox's day, or every part of the sandbox's March would already be past."""
    with time_machine.travel(SARI_TODAY, tick=False):
        yield


@HISTORIES
@given(history=st.lists(st.lists(sari_step, min_size=1, max_size=4), min_size=1, max_size=4))
def test_sari_mirror_follows_any_history(
    history, make_connection, sari_clock, sari_fast_retries, sari_today
):
    upstream = DrivingSchool(SariSandbox(SARI_PREFIX, clock=sari_clock))
    connection = fresh_connection(
        make_connection,
        source="sari",
        base_url=SARI_URL,
        options={"environment": "custom"},
        secrets=dict(SARI_DEMO_CREDENTIALS),
    )
    synced_ok(connection, upstream.sandbox)
    for steps in history:
        for step in steps:
            upstream.apply(step)
        synced_ok(connection, upstream.sandbox)
        sessions, participants = mirrored_sari(connection.tenant)
        assert sessions == upstream.expected_sessions()
        # members of a part no longer listed were not fetched, so they stay as they were;
        # those of every listed part must be exactly upstream's
        assert participants == upstream.expected_participants()
