"""The engine over a SARI driving school: parts as the key, drift, held and cancelled courses.

The sandbox lists what is ahead of its clock; the sync judges "past" by the real clock. Both
are moved together here: time-machine for the process, `advance` for the sandbox.
"""

from datetime import date, timedelta

import pytest
import time_machine

from sync.models import ExternalRef, SyncRun
from sync.sources.sari.models import Course, CourseSession, Participant
from tests.fixtures_sari import SARI_TODAY
from tests.sync_helpers import run_sync, sync_writing

pytestmark = pytest.mark.django_db

LACHEN = (2110001, 2110002, 2110003, 2110004)  # parts 1 and 2 held before SARI_TODAY
PFAEFFIKON = (2110008, 2110009, 2110010, 2110011)
RAPPERSWIL_1 = 2110012


@pytest.fixture
def clock(sari_sandbox):
    """Move the process's clock and the sandbox's together."""
    with time_machine.travel(SARI_TODAY, tick=False) as traveller:

        def later(**delta):
            traveller.shift(timedelta(**delta))
            sari_sandbox.advance(timedelta(**delta))

        yield later


@pytest.fixture
def data(sari_sandbox):
    return sari_sandbox.data


@pytest.fixture
def sync(sari_connection, sari_sandbox, clock):
    def run(**options):
        result = run_sync(sari_connection, sari_sandbox, **options)
        assert result.status in (SyncRun.Status.OK, SyncRun.Status.PARTIAL), result.error_message
        return result

    return run


def course_of(tenant, part_id) -> Course:
    return CourseSession.objects.get(tenant=tenant, external_id=str(part_id)).course


def missing_refs(tenant, kind: str) -> list[str]:
    refs = ExternalRef.objects.filter(tenant=tenant, kind=kind, missing_since__isnull=False)
    return sorted(refs.values_list("external_id", flat=True))


def test_first_run_creates_courses_sessions_and_participants(sync, tenant):
    run = sync()
    assert run.counts["course"]["created"] == 6  # the unreleased group is not listed
    assert run.counts["session"]["created"] == 20
    assert run.counts["participant"]["created"] == 24
    lachen = course_of(tenant, 2110003)
    assert lachen.course_type == "VKU" and lachen.name == "Verkehrskunde Lachen"
    assert lachen.status == Course.Status.SCHEDULED
    assert sorted(s.external_id for s in lachen.sessions.all()) == ["2110003", "2110004"]


def test_zurich_wall_clock_becomes_the_right_instant(sync, tenant):
    sync()
    winter = CourseSession.objects.get(tenant=tenant, external_id="2110003")
    summer = CourseSession.objects.get(tenant=tenant, external_id="2110010")
    assert winter.starts_at.isoformat() == "2026-03-11T17:00:00+00:00"  # 18:00 CET
    assert summer.starts_at.isoformat() == "2026-03-31T16:30:00+00:00"  # 18:30 CEST


def test_faber_ids_are_canonical(sync, tenant, data):
    data.enrol(RAPPERSWIL_1, "007181751")
    sync()
    participant = Participant.objects.get(tenant=tenant, external_id=f"{RAPPERSWIL_1}:7181751")
    assert participant.faber_id == "7181751"
    assert participant.session.external_id == str(RAPPERSWIL_1)


def test_second_run_writes_no_mirrored_row(sync, sari_connection, sari_sandbox):
    sync()
    run, written = sync_writing(sari_connection, sari_sandbox)
    assert written == []
    assert run.totals()["unchanged"] == 50


def test_reordered_groups_and_parts_change_nothing(sync, sari_connection, sari_sandbox, data):
    sync()
    data.reverse_order()
    run, written = sync_writing(sari_connection, sari_sandbox)
    assert written == []
    assert run.totals()["unchanged"] == 50


def test_a_held_part_drops_out_and_stays_a_past_session_of_its_course(sync, clock, tenant):
    sync()
    course = course_of(tenant, 2110003)
    clock(days=1, hours=12)  # part 3 of Lachen is held on the evening of the 11th

    run = sync()

    assert run.counts["course"]["created"] == 0
    assert run.counts["session"]["missing"] == 0
    assert course_of(tenant, 2110004) == course
    course.refresh_from_db()
    assert course.active and course.status == Course.Status.RUNNING
    assert course.starts_at.isoformat() == "2026-03-11T17:00:00+00:00"  # its first session
    held = CourseSession.objects.get(tenant=tenant, external_id="2110003")
    assert held.active and held.course == course
    assert missing_refs(tenant, "session") == []
    # its participants were not fetched again, and leaving the list is no reason to drop them
    assert held.participants.filter(active=True).count() == 2
    assert missing_refs(tenant, "participant") == []


def test_a_held_part_is_kept_while_a_future_part_that_vanished_is_missing(
    sync, clock, tenant, data
):
    sync()
    clock(days=1, hours=12)  # part 3 of Lachen is held
    data.cancel_part(PFAEFFIKON[2])

    run = sync()

    assert run.counts["session"]["missing"] == 1
    assert missing_refs(tenant, "session") == [str(PFAEFFIKON[2])]
    sessions = CourseSession.objects.filter(tenant=tenant)
    assert sessions.get(external_id="2110003").active
    assert not sessions.get(external_id=str(PFAEFFIKON[2])).active


def test_a_course_whose_parts_are_all_held_becomes_completed(sync, clock, tenant):
    sync()
    course = course_of(tenant, 2110003)
    clock(days=3, hours=12)  # past the 13th: Lachen is over and gone from the feed

    run = sync()

    assert run.counts["course"]["missing"] == 0
    assert run.counts["session"]["missing"] == 0
    course.refresh_from_db()
    assert course.status == Course.Status.COMPLETED
    assert course.active
    assert course.sessions.filter(active=True).count() == 2
    assert missing_refs(tenant, "course") == []


def test_a_completed_course_is_not_written_again(sync, clock, sari_connection, sari_sandbox):
    sync()
    clock(days=3, hours=12)
    sync()
    run, written = sync_writing(sari_connection, sari_sandbox)
    assert written == []
    assert run.totals()["missing"] == 0


def test_empty_lists_once_every_course_is_held_complete_them_without_a_warning(sync, clock, tenant):
    sync()
    clock(days=160)  # every listed part, the autumn course's too, is past: both lists empty

    run = sync()

    assert run.status == SyncRun.Status.OK, run.error_message
    assert run.error_message == ""
    assert run.totals()["missing"] == 0
    courses = Course.objects.filter(tenant=tenant)
    assert {c.status for c in courses} == {Course.Status.COMPLETED}
    assert all(c.active for c in courses)
    assert not CourseSession.objects.filter(tenant=tenant, active=False).exists()


def test_empty_lists_while_future_parts_are_mirrored_mark_nothing_missing(
    sync, clock, tenant, data
):
    sync()
    clock(days=3, hours=12)  # Lachen is over; the other courses still lie ahead
    for course_type in ("VKU", "PGS"):
        for group in list(data.groups(course_type)):
            data.cancel_group(group.parts[0].id)

    run = sync()

    assert run.status == SyncRun.Status.PARTIAL
    assert "courses: upstream returned nothing although 5 are mirrored" in run.error_message
    assert "course sessions: upstream returned nothing although 18" in run.error_message
    assert run.totals()["missing"] == 0
    assert course_of(tenant, 2110003).status == Course.Status.COMPLETED
    assert Course.objects.filter(tenant=tenant, active=True).count() == 6


def test_a_course_that_vanishes_with_future_parts_becomes_cancelled(sync, tenant, data):
    sync()
    course = course_of(tenant, PFAEFFIKON[0])
    data.cancel_group(PFAEFFIKON[0])

    run = sync()

    assert run.counts["course"]["missing"] == 1
    assert run.counts["session"]["missing"] == 4
    course.refresh_from_db()
    assert course.status == Course.Status.CANCELLED
    assert not course.sessions.filter(active=True).exists()
    assert Course.objects.filter(tenant=tenant, active=True).count() == 5


def test_a_cancelled_part_is_marked_missing_but_its_course_stays(sync, tenant, data):
    sync()
    data.cancel_part(PFAEFFIKON[2])
    run = sync()
    assert run.counts["session"]["missing"] == 1
    assert run.counts["course"]["missing"] == 0
    course = course_of(tenant, PFAEFFIKON[0])
    assert course.sessions.filter(active=True).count() == 3


def test_a_group_gaining_a_new_part_keeps_its_course(sync, tenant, data):
    sync()
    group = data.place(PFAEFFIKON[0]).group
    extra = group.parts[-1]
    moved_copy = type(extra)(
        9_999_001, "VKU Teil 5", extra.starts_at + timedelta(days=2), extra.venue, 12
    )
    group.parts.append(moved_copy)
    sync()
    assert course_of(tenant, 9_999_001) == course_of(tenant, PFAEFFIKON[0])
    assert Course.objects.filter(tenant=tenant).count() == 6


def test_enrolment_changes_follow(sync, tenant, data):
    sync()
    data.enrol(RAPPERSWIL_1, "12345678")
    data.confirm(RAPPERSWIL_1, "12345678", date(2026, 3, 10))
    members = data.part(PFAEFFIKON[0]).members
    leaving = next(iter(members))
    data.unenrol(PFAEFFIKON[0], leaving)

    run = sync()

    assert run.counts["participant"] == {"created": 1, "updated": 0, "unchanged": 23, "missing": 1}
    joined = Participant.objects.get(tenant=tenant, external_id=f"{RAPPERSWIL_1}:12345678")
    assert joined.confirmed_on == date(2026, 3, 10)
    gone = Participant.objects.get(tenant=tenant, external_id=f"{PFAEFFIKON[0]}:{leaving}")
    assert not gone.active
