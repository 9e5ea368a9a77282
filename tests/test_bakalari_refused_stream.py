"""A server that refuses an optional stream the account may read: that stream is not
fetched, says why, and the run writes the rest."""

import pytest

from sync.models import SyncRun
from sync.sources.bakalari.models import Event, Lesson, Mark, Pupil
from tests.edited_answers import refused
from tests.sync_helpers import run_sync

# Sized for a whole school through one login: the sandbox's opt-in whole-school account.
pytestmark = [pytest.mark.django_db, pytest.mark.whole_school]

EVENTS = r"/api/3/events$"


def test_events_refused_leave_the_other_streams_written(
    bakalari_connection, bakalari_sandbox, tenant
):
    run = run_sync(bakalari_connection, refused(bakalari_sandbox, EVENTS))

    assert run.status == SyncRun.Status.OK, run.error_message
    unread = run.not_fetched()
    assert set(unread) == {"event", "event_time"}
    assert "does not let this account read the events" in unread["event"]
    assert "lists the Events module, but the server refused (HTTP 403)" in unread["event"]
    assert run.counts["event"] == {"not_fetched": unread["event"]}
    assert Pupil.objects.filter(tenant=tenant).count() == 598
    assert Lesson.objects.filter(tenant=tenant).exists()
    assert Mark.objects.filter(tenant=tenant).exists()
    assert not Event.objects.filter(tenant=tenant).exists()


def test_events_mirrored_before_stay_when_refused(bakalari_connection, bakalari_sandbox, tenant):
    run_sync(bakalari_connection, bakalari_sandbox)
    events = Event.objects.filter(tenant=tenant, active=True).count()

    run = run_sync(bakalari_connection, refused(bakalari_sandbox, EVENTS))

    assert run.status == SyncRun.Status.OK
    assert "event" in run.not_fetched()
    assert Event.objects.filter(tenant=tenant, active=True).count() == events > 0
