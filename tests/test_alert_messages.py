"""Alerts through real servers on loopback: the mail and webhook messages of an incident, sent
once by whichever of several processes takes them, retried when the mail server is down, and
the heartbeat of every scheduled round."""

import asyncio
from datetime import timedelta

import pytest
from django.utils import timezone

from sync.models import Incident
from sync.run.engine import sync_connection
from sync.sources.bakalari import dataset
from tenants.models import Connection
from tests.alert_servers import SMTPServer
from tests.processes import manage, start

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.whole_school]

WRONG = "Špatné-Heslo-77"
OPERATOR = "provoz@example.cz"


def mail_env(smtp_server, **more) -> dict[str, str]:
    return {
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_server.port}",
        "SYNC_ALERT_EMAILS": OPERATOR,
        "SYNC_SITE_URL": "https://sync.example.cz",
        **more,
    }


def set_password(connection: Connection, password: str) -> None:
    connection.secrets = {"password": password}
    connection.save()


def subject(message) -> str:
    """The subject as a mail client shows it: a long one arrives folded over lines."""
    return " ".join(str(message["Subject"]).split())


def test_a_connection_that_fails_then_recovers_mails_one_opening_and_one_closing(
    served, smtp_server
):
    connection = served.connect("skola", secrets={"password": WRONG})
    connection.tenant.alert_emails = "it@skola.cz"
    connection.tenant.save()

    failed = manage("sync_sources", "--trigger", "cron", **mail_env(smtp_server))
    again = manage("sync_sources", "--trigger", "cron", **mail_env(smtp_server))

    assert (failed.returncode, again.returncode) == (1, 1)
    # one opening to each address, each apart; the second failed run sends nothing more
    assert sorted(m["To"] for m in smtp_server.messages) == ["it@skola.cz", OPERATOR]
    opening = smtp_server.messages[0]
    assert subject(opening) == "[EduRPG sync] Skola · Bakaláři: needs a person"
    body = opening.get_content()
    assert "Bakaláři rejected the username or password" in body
    assert "What to do: Enter the current credentials" in body
    assert "Last success: never" in body
    assert "https://sync.example.cz/admin/sync/syncrun/" in body
    assert WRONG not in body

    set_password(connection, dataset.DEMO_PASSWORD)
    fixed = manage("sync_sources", "--trigger", "cron", **mail_env(smtp_server))

    assert fixed.returncode == 0
    assert len(smtp_server.messages) == 4
    closing = smtp_server.messages[3]
    assert subject(closing) == "[EduRPG sync] resolved: Skola · Bakaláři"
    assert "succeeds again" in closing.get_content()
    incident = Incident.objects.get()
    assert (incident.opening_notice, incident.closing_notice) == ("sent", "sent")


def test_a_webhook_gets_the_incident_as_json(served, smtp_server, webhook_receiver):
    connection = served.connect("skola", secrets={"password": WRONG})
    channel = webhook_receiver.url.replace("http://", "json://") + "/edurpg"
    manage("sync_sources", **mail_env(smtp_server, SYNC_ALERT_URLS=channel))

    ((path, _, payload),) = webhook_receiver.posts
    assert path == "/edurpg"
    assert "Skola · Bakaláři" in payload["title"]
    assert "Bakaláři rejected the username or password" in payload["message"]
    assert WRONG not in str(payload)
    assert Incident.objects.get(connection=connection).opening_notice == "sent"


def test_four_processes_over_a_failing_connection_send_one_opening(served, smtp_server):
    served.connect("skola", secrets={"password": WRONG})

    processes = [
        start("sync_sources", "--trigger", "cron", **mail_env(smtp_server)) for _ in range(4)
    ]
    for process in processes:
        process.communicate(timeout=120)

    assert Incident.objects.count() == 1
    assert len(smtp_server.messages) == 1


class SlowSMTPServer(SMTPServer):
    """Takes a while over each message: senders that did not claim it would all send it."""

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.5)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def slow_smtp_server():
    server = SlowSMTPServer()
    server.start()
    yield server
    server.stop()


def test_four_ticks_at_once_over_a_due_opening_send_it_once(served, slow_smtp_server):
    connection = served.connect("skola", secrets={"password": WRONG})
    sync_connection(connection, trigger="cli")  # opens the incident; nothing is sent here
    assert Incident.objects.get().opening_notice == "due"

    ticks = [start("sync_alerts", **mail_env(slow_smtp_server)) for _ in range(4)]
    outputs = [tick.communicate(timeout=120)[0] for tick in ticks]

    assert len(slow_smtp_server.messages) == 1, outputs
    assert (
        sorted(outputs).count("0 late incident(s) opened, 0 reminder(s) due, 1 message(s) sent\n")
        == 1
    )
    assert Incident.objects.get().opening_notice == "sent"


def test_a_mail_server_down_never_fails_the_sync_and_the_next_tick_sends(served, smtp_server):
    connection = served.connect("skola", secrets={"password": WRONG})
    manage("sync_sources", **mail_env(smtp_server))
    assert len(smtp_server.messages) == 1
    smtp_server.stop()
    set_password(connection, dataset.DEMO_PASSWORD)

    fixed = manage("sync_sources", **mail_env(smtp_server))

    assert fixed.returncode == 0  # the sync succeeded though its message could not go out
    incident = Incident.objects.get()
    assert not incident.is_open and incident.closing_notice == "due"
    assert "mail server" in incident.last_delivery_error

    smtp_server.start()
    assert manage("sync_alerts", **mail_env(smtp_server)).returncode == 0
    assert len(smtp_server.messages) == 2
    incident.refresh_from_db()
    assert (incident.closing_notice, incident.last_delivery_error) == ("sent", "")


def test_a_late_connection_without_any_run_is_told_by_sync_alerts(served, smtp_server):
    connection = served.connect("skola")
    Connection.objects.filter(pk=connection.pk).update(
        created_at=timezone.now() - timedelta(days=1)
    )

    result = manage("sync_alerts", **mail_env(smtp_server))

    assert "1 late incident(s) opened" in result.stdout
    (message,) = smtp_server.messages
    assert subject(message) == "[EduRPG sync] Skola · Bakaláři: late"
    assert "No successful sync since the connection was added." in message.get_content()


def test_every_scheduled_round_pings_the_heartbeat(served, smtp_server, webhook_receiver):
    served.connect("skola")
    check = webhook_receiver.url + "/ping/6f1c"

    manage("sync_sources", "--trigger", "cron", **mail_env(smtp_server, SYNC_HEARTBEAT_URL=check))
    served.connect("jina", secrets={"password": WRONG})
    Connection.objects.filter(tenant__slug="skola").update(enabled=False)
    manage("sync_sources", "--trigger", "cron", **mail_env(smtp_server, SYNC_HEARTBEAT_URL=check))
    manage("sync_sources", **mail_env(smtp_server, SYNC_HEARTBEAT_URL=check))  # not scheduled

    paths = [path for path, _, _ in webhook_receiver.posts]
    assert paths == ["/ping/6f1c/start", "/ping/6f1c", "/ping/6f1c/start", "/ping/6f1c/fail"]
    assert "1 sync(s), 1 failed" in webhook_receiver.bodies[-1]
    assert "jina/bakalari" in webhook_receiver.bodies[-1]


def test_a_heartbeat_that_cannot_be_reached_is_never_fatal(served, smtp_server):
    served.connect("skola")
    result = manage(
        "sync_sources", "--trigger", "cron",
        **mail_env(smtp_server, SYNC_HEARTBEAT_URL="http://127.0.0.1:9/ping"),
    )  # fmt: skip
    assert result.returncode == 0
    assert "heartbeat start not delivered" in result.stderr
