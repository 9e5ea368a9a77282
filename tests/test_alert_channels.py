"""A message reaches every address and channel, or says precisely which did not and why.

Against a real SMTP server and a real webhook on loopback. A channel's URL carries its tokens:
no sentence, and no log line, ever repeats one.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sync.alerts.channels import deliver
from sync.alerts.contacts import operator_contacts, tenant_contacts
from tests.alert_servers import free_port

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "T0KEN-in-the-path-8c1f"
QUERY_TOKEN = "s3cret-in-the-query-77aa"
PASSWORD = "Pa55-in-the-userinfo-41"


def send(emails=(), urls=()) -> list[str]:
    return deliver("Alert: Skola · Bakaláři", "Line one.\nLine two.", emails=emails, urls=urls)


def tokened(url: str) -> str:
    """A webhook address with a token in its path and one in its query."""
    return f"{url.replace('http://', 'json://')}/hooks/{TOKEN}?token={QUERY_TOKEN}"


def assert_no_token_in(text: str) -> None:
    for secret in (TOKEN, QUERY_TOKEN, PASSWORD, "/hooks"):
        assert secret not in text


# E-mail


def test_mail_arrives_with_its_subject_body_and_sender(smtp_server, settings):
    settings.DEFAULT_FROM_EMAIL = "EduRPG sync <alerts@example.cz>"

    assert send(emails=["ops@example.cz"]) == []

    (message,) = smtp_server.messages
    assert message["Subject"] == "Alert: Skola · Bakaláři"
    assert message["From"] == "EduRPG sync <alerts@example.cz>"
    assert message["To"] == "ops@example.cz"
    assert message.get_content().strip().splitlines() == ["Line one.", "Line two."]


def test_each_address_gets_the_message(smtp_server):
    assert send(emails=["ops@example.cz", "reditel@skola.cz"]) == []
    assert [m["To"] for m in smtp_server.messages] == ["ops@example.cz", "reditel@skola.cz"]


def test_a_refused_address_is_named_and_the_others_still_get_it(smtp_server):
    smtp_server.refused.add("nikdo@skola.cz")

    failures = send(emails=["nikdo@skola.cz", "ops@example.cz"])

    assert failures == ["E-mail: the mail server refused the address nikdo@skola.cz (SMTP 550)."]
    assert [m["To"] for m in smtp_server.messages] == ["ops@example.cz"]


def test_a_mail_server_that_is_down_is_named_and_nothing_raises(smtp_server):
    smtp_server.stop()
    failures = send(emails=["ops@example.cz", "reditel@skola.cz"])
    assert failures == [
        f"E-mail to ops@example.cz, reditel@skola.cz: the mail server at "
        f"127.0.0.1:{smtp_server.port} refused the connection."
    ]

    smtp_server.start()
    assert send(emails=["ops@example.cz"]) == []
    assert len(smtp_server.messages) == 1


def test_a_mail_server_that_never_answers_is_given_up_on(settings, silent_server):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = (
        "127.0.0.1",
        silent_server,
        0.2,
    )
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False

    assert send(emails=["ops@example.cz"]) == [
        f"E-mail to ops@example.cz: the mail server at 127.0.0.1:{silent_server} "
        "did not answer within 0.2 seconds."
    ]


# Channels


def test_a_webhook_gets_the_message_as_json_at_its_path(webhook_receiver):
    assert send(urls=[webhook_receiver.url.replace("http://", "json://") + "/hooks/edurpg"]) == []

    ((path, headers, body),) = webhook_receiver.posts
    assert path == "/hooks/edurpg"
    assert headers["Content-Type"] == "application/json"
    assert body["title"] == "Alert: Skola · Bakaláři"
    assert body["message"] == "Line one.\nLine two."


@pytest.mark.parametrize("status", [404, 500])
def test_a_webhook_that_refuses_is_named_by_its_host_and_status_only(webhook_receiver, status):
    webhook_receiver.status = status
    port = webhook_receiver.url.rsplit(":", 1)[1]

    failures = send(urls=[tokened(webhook_receiver.url)])

    assert failures == [f"Channel json://127.0.0.1:{port}: answered HTTP {status}."]
    assert_no_token_in(failures[0])
    assert len(webhook_receiver.posts) == 1


def test_a_channel_nobody_listens_on_refuses_the_connection():
    port = free_port()
    failures = send(urls=[f"json://user:{PASSWORD}@127.0.0.1:{port}/hooks/{TOKEN}"])
    assert failures == [f"Channel json://127.0.0.1:{port}: refused the connection."]


def test_a_channel_that_never_answers_is_given_up_on(settings, silent_server):
    settings.SYNC_ALERT_TIMEOUT = 0.2
    failures = send(urls=[f"json://127.0.0.1:{silent_server}/hooks/{TOKEN}"])
    assert failures == [
        f"Channel json://127.0.0.1:{silent_server}: did not answer within 0.2 seconds."
    ]


@pytest.mark.parametrize(
    "url, shown",
    [
        (f"bogus://{TOKEN}/{QUERY_TOKEN}", "bogus://…"),
        (f"slack://{TOKEN}", "slack://…"),  # slack's "host" is a token: its scheme alone
        (f"hooks.example.cz/{TOKEN}", "(no scheme)"),
    ],
)
def test_an_address_apprise_does_not_understand_is_named_by_its_scheme(url, shown):
    failures = send(urls=[url])
    assert failures == [f"Channel {shown}: not a channel address apprise understands."]
    assert_no_token_in(failures[0])


def test_no_log_line_repeats_a_channel_url(webhook_receiver):
    """apprise's own lines repeat the whole URL, its errors too, and urllib3's name its path:
    with the project's logging, at its most verbose, none of them is written."""
    webhook_receiver.status = 500
    urls = [f"bogus://{TOKEN}", tokened(webhook_receiver.url)]
    script = (
        "from sync.alerts.channels import deliver; "
        f"print(deliver('s', 'b', emails=[], urls={urls!r}))"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env={**os.environ, "LOG_LEVEL": "DEBUG"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "answered HTTP 500" in result.stdout, result.stderr[-2000:]
    assert_no_token_in(result.stdout + result.stderr)
    assert len(webhook_receiver.posts) == 1


def test_one_failure_never_stops_the_rest(smtp_server, webhook_receiver):
    smtp_server.stop()
    failures = send(
        emails=["ops@example.cz"],
        urls=[f"bogus://{TOKEN}", webhook_receiver.url.replace("http://", "json://")],
    )
    assert len(failures) == 2
    assert failures[0].startswith("E-mail to ops@example.cz: ")
    assert failures[1] == "Channel bogus://…: not a channel address apprise understands."
    assert len(webhook_receiver.posts) == 1


# Contacts


def test_a_tenants_addresses_split_on_commas_spaces_and_lines_each_once(tenant):
    tenant.alert_emails = "ops@example.cz, reditel@skola.cz\n\n  ops@example.cz;ucitel@skola.cz "
    tenant.alert_urls = {"urls": ["slack://a/b/c", "jsons://hooks.example.cz/x"]}
    tenant.save()
    tenant.refresh_from_db()

    assert tenant_contacts(tenant) == (
        ["ops@example.cz", "reditel@skola.cz", "ucitel@skola.cz"],
        ["slack://a/b/c", "jsons://hooks.example.cz/x"],
    )


def test_a_tenant_without_contacts_has_none(tenant):
    assert tenant_contacts(tenant) == ([], [])


def test_the_operators_contacts_come_from_the_settings(settings):
    settings.SYNC_ALERT_EMAILS = ["ops@example.cz"]
    settings.SYNC_ALERT_URLS = ["slack://a/b/c"]
    assert operator_contacts() == (["ops@example.cz"], ["slack://a/b/c"])
