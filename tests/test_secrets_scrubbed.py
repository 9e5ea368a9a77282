"""A secret an upstream echoes back reaches no log, run, admin page, test message or export.

The sandboxes play a broken or hostile server: Bakaláři's token endpoint quotes the posted
form, SARI quotes the client secret of the login in its API answers. The sync runs as a real
`manage.py sync_sources` process, whose stderr is its log.
"""

import html
import json
import logging
import re
from urllib.parse import quote, quote_plus

import pytest
from django.urls import reverse

from sync.models import SyncRun
from sync.run.engine import sync_connection
from sync.sources.bakalari import dataset as bakalari_dataset
from sync.upstream.scrub import MASK, text
from tests.fixtures_sari import SARI_DEMO_CREDENTIALS
from tests.processes import manage

pytestmark = pytest.mark.django_db(transaction=True)


def spellings(secret: str) -> set[str]:
    return {secret, quote(secret, safe=""), quote_plus(secret)}


def assert_nowhere(secrets, texts) -> None:
    for secret in secrets:
        for form in spellings(secret):
            for seen in texts:
                assert form not in seen


def export_of_runs(admin_client) -> str:
    url = reverse("admin:sync_syncrun_export")
    form = admin_client.get(url).context["form"]
    data = {name: "on" for name, field in form.fields.items() if field.initial is True}
    return admin_client.post(url, {**data, "format": 0}).content.decode("utf-8-sig")


def seen_in_the_admin(admin_client, connection) -> list[str]:
    """The test's message, the connection's page, the last run's page and the runs' export."""
    test_url = reverse("admin:tenants_connection_test", args=[connection.pk])
    tested = admin_client.post(test_url, follow=True)
    messages = [str(m) for m in tested.context["messages"]]
    run = SyncRun.objects.filter(connection=connection).latest("created_at")
    run_page = admin_client.get(reverse("admin:sync_syncrun_change", args=[run.pk]))
    connection.refresh_from_db()
    stored = [run.error_message, connection.last_error, connection.last_test_result]
    return [*messages, tested.content.decode(), run_page.content.decode(), *stored] + [
        export_of_runs(admin_client)
    ]


def logged(records) -> list[str]:
    return [f"{record.getMessage()} {vars(record)!r}" for record in records]


def test_a_bakalari_password_echoed_by_the_token_endpoint_is_scrubbed(served, admin_client):
    connection = served.connect("skola")
    served.apps["bakalari"].echo_login = True

    result = manage("sync_sources", "--json")

    assert result.returncode == 1
    shown = seen_in_the_admin(admin_client, connection)
    assert_nowhere([bakalari_dataset.DEMO_PASSWORD], [result.stdout, result.stderr, *shown])
    assert f"password={MASK}" in result.stderr  # the echo arrived, scrubbed
    assert "invalid_request" in connection.last_test_result


def test_a_kept_bakalari_token_echoed_at_renewal_is_scrubbed(served, admin_client, caplog):
    connection = served.connect("skola")
    assert sync_connection(connection, trigger="manual").status == SyncRun.Status.OK
    kept = [connection.session["access_token"], connection.session["refresh_token"]]
    sandbox = served.apps["bakalari"]
    sandbox.access_token_calls, sandbox.echo_login = 0, True  # 401, then a refresh echoed

    with caplog.at_level(logging.INFO):
        run = sync_connection(connection, trigger="manual")

    assert run.status == SyncRun.Status.FAILED
    texts = [*logged(caplog.records), *seen_in_the_admin(admin_client, connection)]
    assert_nowhere([*kept, bakalari_dataset.DEMO_PASSWORD], texts)
    assert f"refresh_token={MASK}" in caplog.text  # the echo arrived, scrubbed


def test_a_sari_client_secret_quoted_back_is_scrubbed(served, admin_client):
    connection = served.connect("fahrschule", "sari")
    served.apps["sari"].quote_login = True

    result = manage("sync_sources", "--json")

    assert result.returncode == 1
    shown = seen_in_the_admin(admin_client, connection)
    assert_nowhere(SARI_DEMO_CREDENTIALS.values(), [result.stdout, result.stderr, *shown])
    for scrubbed in (result.stderr, connection.last_error, connection.last_test_result):
        assert f"client_secret={MASK}" in scrubbed  # the quote arrived, scrubbed


def test_a_secret_is_scrubbed_in_every_spelling_and_where_text_was_cut():
    secret = 'Heslo+/="Řeřicha"&42'
    echoed = [
        secret,
        quote_plus(secret),
        re.sub("%..", lambda escape: escape.group().lower(), quote(secret)),
        json.dumps(secret)[12:-1],  # JSON-escaped, a cut piece
        html.escape(secret),
        quote_plus(secret)[:14],  # cut short by a source
    ]
    scrubbed = text(" | ".join(echoed), frozenset([secret]))
    assert scrubbed == " | ".join([MASK] * len(echoed))


def test_what_the_clients_log_themselves_is_scrubbed_too(served):
    connection = served.connect("skola")
    assert manage("sync_sources").returncode == 0
    connection.refresh_from_db()
    kept = [connection.session["access_token"], connection.session["refresh_token"]]
    sandbox = served.apps["bakalari"]
    sandbox.access_token_calls, sandbox.echo_login = 0, True  # 401, then a refresh echoed

    result = manage("sync_sources", LOG_FORMAT="json")  # extra fields, such as a detail, shown

    assert result.returncode == 1
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    refused = [line for line in lines if "refused the access token" in line["message"]]
    assert MASK in refused[0]["detail"], "the client's own line, its challenge quoted, scrubbed"
    assert_nowhere([*kept, bakalari_dataset.DEMO_PASSWORD], [result.stdout, result.stderr])
