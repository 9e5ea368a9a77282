"""When incidents open and close: on the runs' outcomes, and on the clock for late ones."""

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection as db
from django.utils import timezone

from sync.alerts import incidents, notices
from sync.models import Incident, SyncRun
from tenants.models import Connection
from tests.sync_helpers import run_sync

pytestmark = pytest.mark.django_db


def wrong_password(connection):
    connection.secrets = {"password": "Špatné-Heslo-77"}
    connection.save()


def right_password(connection):
    connection.secrets = {"password": "Sandbox-Řeřicha-42"}
    connection.save()


def test_rejected_credentials_open_an_incident_at_once_and_a_success_closes_it(
    bakalari_connection, bakalari_sandbox
):
    wrong_password(bakalari_connection)
    failed = run_sync(bakalari_connection, bakalari_sandbox)

    incident = Incident.objects.get()
    assert failed.status == SyncRun.Status.FAILED
    assert (incident.cause, incident.error_kind, incident.opening_run_id) == (
        "needs_person",
        "bad_credentials",
        failed.pk,
    )
    assert incident.is_open and incident.opening_notice == Incident.Notice.DUE
    assert "Špatné" not in incident.message

    again = run_sync(bakalari_connection, bakalari_sandbox)
    incident.refresh_from_db()
    assert Incident.objects.count() == 1  # one per connection and cause
    assert incident.latest_run_id == again.pk

    right_password(bakalari_connection)
    ok = run_sync(bakalari_connection, bakalari_sandbox)
    incident.refresh_from_db()
    assert ok.status == SyncRun.Status.OK
    assert not incident.is_open and incident.closing_run_id == ok.pk
    assert incident.closing_notice == Incident.Notice.DUE


def test_transient_trouble_opens_an_incident_only_when_it_repeats(
    bakalari_connection, bakalari_sandbox, settings
):
    settings.SYNC_ALERT_AFTER_FAILURES = {"permanent": 1, "transient": 2}
    bakalari_sandbox.faults.error_rate = 1.0  # every answer a 503, beyond the retries

    first = run_sync(bakalari_connection, bakalari_sandbox)
    assert (first.status, first.error_kind) == ("failed", "transient")
    assert not Incident.objects.exists()

    run_sync(bakalari_connection, bakalari_sandbox)
    incident = Incident.objects.get()
    assert (incident.cause, incident.error_kind) == ("failing", "transient")


def test_a_success_between_failures_starts_the_count_again(
    bakalari_connection, bakalari_sandbox, settings
):
    settings.SYNC_ALERT_AFTER_FAILURES = {"permanent": 1, "transient": 2}
    bakalari_sandbox.faults.error_rate = 1.0
    run_sync(bakalari_connection, bakalari_sandbox)
    bakalari_sandbox.faults.clear()
    run_sync(bakalari_connection, bakalari_sandbox)
    bakalari_sandbox.faults.error_rate = 1.0
    run_sync(bakalari_connection, bakalari_sandbox)
    assert not Incident.objects.exists()


def test_a_dry_run_opens_nothing(bakalari_connection, bakalari_sandbox):
    wrong_password(bakalari_connection)
    run_sync(bakalari_connection, bakalari_sandbox, dry_run=True)
    assert not Incident.objects.exists()


def test_a_late_connection_with_no_runs_at_all_opens_an_incident_on_the_tick(
    bakalari_connection, settings
):
    settings.SYNC_SCHEDULE = "*/15 * * * *"
    Connection.objects.filter(pk=bakalari_connection.pk).update(
        created_at=timezone.now() - timedelta(hours=2)
    )

    call_command("sync_alerts")
    call_command("sync_alerts")

    incident = Incident.objects.get()
    assert (incident.cause, incident.opening_run_id) == ("late", None)
    assert incident.message == "No successful sync since the connection was added."


def test_a_connection_within_its_schedule_is_not_late(bakalari_connection):
    assert incidents.open_late() == []
    assert not Incident.objects.exists()


def test_the_incidents_page_lists_open_and_closed_and_offers_no_delete(
    admin_client, bakalari_connection, bakalari_sandbox
):
    wrong_password(bakalari_connection)
    run_sync(bakalari_connection, bakalari_sandbox)
    page = admin_client.get("/admin/sync/incident/?state=open")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Needs a person" in text and "Bakaláři rejected" in text
    assert "Delete" not in text
    closed = admin_client.get("/admin/sync/incident/?state=closed").content.decode()
    assert "0 incidents" in closed


def at_once(count: int, work) -> list:
    """`work()` in `count` threads let go together, each with its own database connection."""
    start, results = threading.Barrier(count), []

    def worker():
        try:
            start.wait()
            results.append(work())
        finally:
            db.close()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_of_eight_senders_taking_a_due_message_at_once_one_wins(bakalari_connection):
    incident = incidents.open_incident(bakalari_connection, Incident.Cause.LATE, message="late")
    now = timezone.now()

    won = at_once(8, lambda: notices.take(incident.pk, "opening_notice", now))

    assert sorted(won) == [False] * 7 + [True]
    incident.refresh_from_db()
    assert incident.opening_notice == Incident.Notice.SENDING


@pytest.mark.django_db(transaction=True)
def test_of_eight_threads_opening_the_same_incident_at_once_one_opens_it(bakalari_connection):
    opened = at_once(8, lambda: incidents.open_incident(bakalari_connection, Incident.Cause.LATE))

    assert sum(incident is not None for incident in opened) == 1
    assert Incident.objects.count() == 1


def test_a_reminder_goes_out_while_an_incident_stays_open_when_asked_for(
    bakalari_connection, bakalari_sandbox, smtp_server, settings
):
    settings.SYNC_ALERT_EMAILS = ["provoz@example.cz"]
    wrong_password(bakalari_connection)
    run_sync(bakalari_connection, bakalari_sandbox)
    assert notices.deliver_due() == 1
    later = timezone.now() + timedelta(hours=25)

    assert notices.remind(later) == 0  # off by default
    settings.SYNC_ALERT_REMIND_HOURS = 24
    assert notices.remind(later) == 1
    assert notices.remind(later) == 0  # once per period
    assert notices.deliver_due(later) == 1

    subjects = [" ".join(str(m["Subject"]).split()) for m in smtp_server.messages]
    assert subjects[-1].startswith("[EduRPG sync] still open: ")
    assert notices.remind(later + timedelta(hours=25)) == 1


def test_another_tenants_staff_never_see_an_incident(
    client, bakalari_connection, bakalari_sandbox, django_user_model
):
    from django.contrib.auth.models import Permission

    from tenants.models import Tenant

    wrong_password(bakalari_connection)
    run_sync(bakalari_connection, bakalari_sandbox)
    incident = Incident.objects.get()
    other = Tenant.objects.create(name="Jiná škola", slug="jina")
    user = django_user_model.objects.create_user("jiny", password="pw-123456", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_incident"))
    other.staff.add(user)
    client.force_login(user)

    listed = client.get("/admin/sync/incident/").content.decode()
    assert "0 incidents" in listed
    opened = client.get(f"/admin/sync/incident/{incident.pk}/change/")
    assert (opened.status_code, opened.url) == (302, "/admin/")
