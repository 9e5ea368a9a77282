"""A stream the account cannot read is recorded as not fetched, with why: never as zeros."""

import logging

import pytest
from django.urls import reverse

from sync.models import SyncRun
from sync.run.engine import require_something_read
from sync.run.summary import batch_summary
from sync.sources.bakalari import dataset
from sync.sources.bakalari.models import Pupil
from sync.sources.streams import Batch
from sync.upstream.errors import PermissionDenied
from tests.sync_helpers import run_sync

# Sized for a whole school through one login: the sandbox's opt-in whole-school account.
pytestmark = [pytest.mark.django_db, pytest.mark.whole_school]


@pytest.fixture
def pupil_connection(bakalari_connection):
    """Synced through a pupil's account, which sees the timetable but no rosters."""
    bakalari_connection.options = {"username": dataset.PUPIL_USERNAME}
    bakalari_connection.secrets = {"password": dataset.PUPIL_PASSWORD}
    bakalari_connection.save()
    return bakalari_connection


def test_a_pupils_account_records_pupils_enrolments_and_marks_as_not_fetched(
    pupil_connection, bakalari_sandbox, tenant, caplog
):
    with caplog.at_level(logging.INFO, logger="sync.run.events"):
        run = run_sync(pupil_connection, bakalari_sandbox)

    assert run.status == SyncRun.Status.OK
    unread = run.not_fetched()
    assert set(unread) == {"pupil", "enrolment", "mark"}
    assert "Only a teacher account sees pupils" in unread["pupil"]
    assert "student" in unread["pupil"]
    assert run.counts["pupil"] == {"not_fetched": unread["pupil"]}, "no zeros beside it"
    assert run.counts["class"]["created"] > 0
    assert not Pupil.objects.filter(tenant=tenant).exists()
    (ok,) = [r for r in caplog.records if getattr(r, "event", "") == "sync_ok"]
    assert ok.not_fetched == unread
    summary = batch_summary([run])["runs"][0]
    assert summary["not_fetched"] == unread
    assert summary["counts"]["enrolment"] == {"not_fetched": unread["enrolment"]}


def test_the_run_page_says_not_fetched_and_why(pupil_connection, bakalari_sandbox, admin_client):
    run = run_sync(pupil_connection, bakalari_sandbox)

    page = admin_client.get(reverse("admin:sync_syncrun_change", args=[run.pk])).content.decode()
    listed = admin_client.get(reverse("admin:sync_syncrun_changelist")).content.decode()

    assert page.count("Not fetched: Only a teacher account sees pupils") == 3
    shown = listed.split("not fetched: ", 1)[1].split("<", 1)[0]
    assert shown.split(", ") == ["pupils", "enrolments", "marks"]  # the source's order


def test_pupils_mirrored_earlier_stay_when_the_account_can_no_longer_see_them(
    bakalari_connection, bakalari_sandbox, tenant
):
    run_sync(bakalari_connection, bakalari_sandbox)
    bakalari_sandbox.school.account(dataset.DEMO_USERNAME).user_type = "headmastership"

    run = run_sync(bakalari_connection, bakalari_sandbox)

    assert run.status == SyncRun.Status.OK
    assert set(run.not_fetched()) == {"pupil", "enrolment", "mark"}
    assert Pupil.objects.filter(tenant=tenant, active=True).count() == 598


def test_events_without_the_right_are_not_fetched_and_say_which_right(
    bakalari_connection, bakalari_sandbox
):
    bakalari_sandbox.school.account(dataset.DEMO_USERNAME).modules["Events"] = []
    run = run_sync(bakalari_connection, bakalari_sandbox)
    assert run.status == SyncRun.Status.OK
    reason = "The account lacks the Events module's ShowEvents right, so events were not read."
    assert run.not_fetched() == {"event": reason, "event_time": reason}


def test_events_in_summer_are_not_fetched_and_say_why(bakalari_connection, bakalari_sandbox):
    bakalari_sandbox.summer = True
    run = run_sync(bakalari_connection, bakalari_sandbox)
    assert run.status == SyncRun.Status.OK
    assert "summer holidays" in run.not_fetched()["event"]
    assert run.counts["pupil"]["created"] == 598


def test_a_run_that_could_read_nothing_is_no_success():
    batches = {"pupil": Batch.unread("No rosters."), "event": Batch.unread("No right.")}
    with pytest.raises(PermissionDenied, match="could read nothing to sync: No rosters. No right."):
        require_something_read(batches)
    require_something_read({**batches, "class": Batch([])})  # one stream read is enough
