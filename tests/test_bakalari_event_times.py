"""An event keeps every one of its time slots, and spans them from first start to last end."""

from datetime import date

import pytest

from sync.models import SyncRun
from sync.sources.bakalari.dataset import EventTime as Slot
from sync.sources.bakalari.dataset import at
from sync.sources.bakalari.models import Event, EventTime
from tests.sync_helpers import run_sync

# Sized for a whole school through one login: the sandbox's opt-in whole-school account.
pytestmark = [pytest.mark.django_db, pytest.mark.whole_school]


@pytest.fixture
def course(bakalari_sandbox):
    """Parents' evenings on two days, a week apart: one event, two slots."""
    event = next(e for e in bakalari_sandbox.school.events if e.title == "Třídní schůzky")
    event.times.append(Slot(at(date(2025, 11, 20), 17), at(date(2025, 11, 20), 19)))
    return event


def test_an_event_with_two_slots_keeps_both(bakalari_connection, bakalari_sandbox, course, tenant):
    run = run_sync(bakalari_connection, bakalari_sandbox)

    assert run.status == SyncRun.Status.OK, run.error_message
    event = Event.objects.get(tenant=tenant, external_id=course.id)
    slots = EventTime.objects.filter(tenant=tenant, event=event).order_by("starts_at")
    assert [(s.starts_at, s.ends_at) for s in slots] == [(t.start, t.end) for t in course.times]
    assert (event.starts_at, event.ends_at) == (course.times[0].start, course.times[1].end)
    assert not event.whole_day


def test_every_event_has_its_slots(bakalari_connection, bakalari_sandbox, tenant):
    run = run_sync(bakalari_connection, bakalari_sandbox)
    slots = sum(len(event.times) for event in bakalari_sandbox.school.events)
    assert run.counts["event_time"]["created"] == slots
    assert EventTime.objects.filter(tenant=tenant, event__isnull=True).count() == 0
    assert EventTime.objects.filter(tenant=tenant, whole_day=True).count() == 3


def test_a_slot_dropped_upstream_goes_missing_and_the_event_stays(
    bakalari_connection, bakalari_sandbox, course, tenant
):
    run_sync(bakalari_connection, bakalari_sandbox)
    course.times.pop()

    run = run_sync(bakalari_connection, bakalari_sandbox)

    assert run.counts["event_time"]["missing"] == 1
    assert run.counts["event"]["updated"] == 1  # it now ends on the first evening
    assert (
        EventTime.objects.filter(tenant=tenant, event__external_id=course.id, active=True).count()
        == 1
    )
    assert Event.objects.get(tenant=tenant, external_id=course.id).active
