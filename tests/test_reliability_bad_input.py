"""Bad input gets a clear error and loses nothing: addresses, credentials, broken answers, and
on the command line one line on stderr with exit 2.

Only what test_base_url.py, the *_errors and *_faults tests do not already cover.
"""

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection as db

from sync.console.connection_form import source_connection_form
from sync.models import ApiToken, SyncRun
from sync.run.engine import sync_connection
from sync.sources.bakalari.source import normalize_base_url
from tests.processes import database_url, manage, unused_port
from tests.sync_helpers import run_sync, snapshot

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url", "sentence"),
    [
        ("ftp://skola.example.cz/", "Only https:// addresses are supported, not ftp://."),
        ("file:///etc/passwd", "Only https:// addresses are supported, not file://."),
        ("gopher://skola.example.cz", "Only https:// addresses are supported, not gopher://."),
        ("javascript:alert(1)", "This is not a valid web address"),
        ("https://skola.example.cz:99999/", "This is not a valid web address"),
        ("https://192.168.1.10/", "local or private network address"),
        ("https://127.0.0.2/", "local or private network address"),
        ("https://100.64.0.1/", "local or private network address"),
        ("https://[fe80::1]/", "local or private network address"),
        ("https://[::ffff:127.0.0.1]/", "local or private network address"),
        ("https://localhost./", "local or private network address"),
        ("https://2130706433/", "local or private network address"),  # 127.0.0.1 in decimal
        ("https://0x7f000001/", "local or private network address"),  # ... in hex
        ("https://017700000001/", "local or private network address"),  # ... in octal
        ("https://0xa.1/", "local or private network address"),  # 10.0.0.1, short form
        ("https://exa mple.cz/", "is not a valid host name."),
        ("https://skola.cz\x00.evil.cz/", "is not a valid host name."),
        ("https://" + "ž" * 70 + ".cz/", "is not a valid host name."),
    ],
)
def test_an_address_that_is_not_a_public_https_server_is_refused(url, sentence):
    with pytest.raises(ValidationError) as caught:
        normalize_base_url(url, allow_insecure=False)
    assert sentence in caught.value.messages[0]


def test_a_public_international_host_is_kept_as_punycode():
    assert normalize_base_url("https://☃.example/", allow_insecure=False) == (
        "https://xn--n3h.example"
    )


@pytest.fixture
def saved(make_connection):
    return make_connection()


def post_form(connection, **fields):
    data = {
        "enabled": "on",
        "bakalari__base_url": "https://skola.example.cz",
        "bakalari__username": "ucitel",
        "bakalari__password": "",
        **fields,
    }
    return source_connection_form("bakalari")(data=data, instance=connection)


@pytest.mark.parametrize(
    ("fields", "field", "sentence"),
    [
        ({"bakalari__password": "x" * 2001}, "password", "at most 2000 characters"),
        ({"bakalari__password": "heslo\x00"}, "password", "Null characters are not allowed."),
        ({"bakalari__username": "uči\x00tel"}, "username", "Null characters are not allowed."),
        ({"bakalari__username": "u" * 501}, "username", "at most 500 characters"),
        ({"bakalari__base_url": "ftp://skola.example.cz"}, "base_url", "not ftp://"),
        ({"bakalari__base_url": "https://10.0.0.1"}, "base_url", "local or private"),
    ],
)
def test_malformed_settings_are_refused_and_the_stored_ones_kept(
    saved, settings, fields, field, sentence
):
    settings.SYNC_ALLOW_INSECURE_URLS = False
    before = (saved.base_url, dict(saved.options), dict(saved.secrets))
    form = post_form(saved, **fields)
    assert not form.is_valid()
    assert sentence in " ".join(form.errors[f"bakalari__{field}"])
    saved.refresh_from_db()
    assert (saved.base_url, saved.options, saved.secrets) == before


@pytest.mark.parametrize(
    "password", ["   ", "\t\r\n", "p" * 2000, "heslo\x1b[2J\x07", "ěščř" * 300]
)
def test_a_stored_odd_password_is_a_clear_login_failure_and_loses_nothing(
    bakalari_connection, bakalari_sandbox, tenant, password
):
    assert run_sync(bakalari_connection, bakalari_sandbox).status == SyncRun.Status.OK
    before = snapshot(tenant)
    bakalari_connection.secrets = {"password": password}
    bakalari_connection.session = {}  # as the form does: the kept tokens were the old login's
    bakalari_connection.save()

    run = run_sync(bakalari_connection, bakalari_sandbox)

    assert run.status == SyncRun.Status.FAILED
    assert run.error_kind == "bad_credentials"
    assert run.error_message == "Bakaláři rejected the username or password."
    assert snapshot(tenant) == before


def test_a_stored_address_in_a_legacy_ip_form_never_gets_a_request(make_connection, settings):
    """Stored before the policy knew these forms: the client still refuses at resolution."""
    settings.SYNC_ALLOW_INSECURE_URLS = False
    connection = make_connection(base_url="https://2130706433")
    run = sync_connection(connection, trigger="cli")
    assert run.status == SyncRun.Status.FAILED
    assert run.error_kind == "config"
    assert run.error_message == (
        "2130706433 resolves to a private or local address (127.0.0.1); "
        "only public servers are allowed."
    )
    assert run.requests_made == 0


@pytest.mark.parametrize(
    ("fault", "options", "sentence"),
    [
        ("deep", {}, "The server's answer is nested too deeply to read."),
        ("invalid_utf8", {}, "The server sent text that is not valid UTF-8."),
        ("huge", {"seconds": 2 * 1024 * 1024}, "SARI sent an answer larger than 1 MB"),
    ],
)
def test_broken_sari_answers_fail_the_run_and_change_nothing(
    sari_connection, sari_sandbox, tenant, settings, fault, options, sentence
):
    settings.SYNC_HTTP_LIMITS = {"max_response_bytes": 1024 * 1024}
    assert run_sync(sari_connection, sari_sandbox).status == SyncRun.Status.OK
    sari_sandbox.data.cancel_part(2110012)  # a change a successful run would write
    before = snapshot(tenant)
    sari_sandbox.faults.inject(fault, after=4, **options)  # a member list, mid-run

    run = run_sync(sari_connection, sari_sandbox)

    assert run.status == SyncRun.Status.FAILED
    assert run.error_kind == "protocol"
    assert run.error_message.startswith(sentence)
    assert snapshot(tenant) == before


@pytest.mark.parametrize(
    "command",
    [
        ["sync_sources"],
        ["migrate"],
        ["execute_runs", str(uuid.uuid4())],
        ["create_api_token", "k8s-cronjob"],
    ],
)
def test_a_database_that_is_down_is_one_line_without_the_password(command):
    port = unused_port()
    url = f"postgres://edurpg:Tajne-heslo-42@127.0.0.1:{port}/edurpg"
    result = manage(*command, DATABASE_URL=url)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"cannot connect to the database edurpg at 127.0.0.1:{port}: Connection refused"
    ]
    assert "Tajne-heslo-42" not in result.stdout + result.stderr


@pytest.mark.postgres_only
def test_a_database_that_does_not_exist_is_named():
    if db.vendor != "postgresql":
        pytest.skip("a database name that does not exist is PostgreSQL's case")
    name = f"{db.settings_dict['NAME']}_missing"
    server = database_url().rpartition("/")[0]
    result = manage("sync_sources", DATABASE_URL=f"{server}/{name}")
    assert result.returncode == 2
    host, port = db.settings_dict["HOST"] or "localhost", db.settings_dict["PORT"] or 5432
    assert result.stderr.splitlines() == [
        f'cannot connect to the database {name} at {host}:{port}: database "{name}" does not exist'
    ]


@pytest.fixture
def unmigrated_database(tmp_path):
    """The URL of an empty database: a new SQLite file, or a new PostgreSQL database."""
    if db.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    name = f"{db.settings_dict['NAME']}_unmigrated"
    with db.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield f"{database_url().rpartition('/')[0]}/{name}"
    with db.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.mark.django_db(transaction=True)
def test_a_database_that_is_not_migrated_says_run_migrate(unmigrated_database):
    result = manage("sync_sources", DATABASE_URL=unmigrated_database)
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("the database ")
    assert line.endswith(" is not migrated: run manage.py migrate")

    assert manage("migrate", DATABASE_URL=unmigrated_database).returncode == 0
    assert manage("sync_sources", DATABASE_URL=unmigrated_database).returncode == 0


def test_execute_runs_refuses_a_malformed_run_id():
    result = manage("execute_runs", str(uuid.uuid4()), "42; DROP TABLE")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "CommandError: '42; DROP TABLE' is not a run id (run ids are UUIDs)"
    ]


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (["sandbox", "--port", "70000"], "--port must be between 0 and 65535, not 70000"),
        (["sandbox", "--port", "-1"], "--port must be between 0 and 65535, not -1"),
        (["sandbox", "--port", "0", "--latency", "-1"], "--latency must be at least 0, not -1"),
        (
            ["sandbox", "--port", "0", "--error-rate", "-0.5"],
            "--error-rate must be between 0 and 1, not -0.5",
        ),
        (
            ["sandbox", "--port", "0", "--error-rate", "1.5"],
            "--error-rate must be between 0 and 1, not 1.5",
        ),
        (
            ["demo", "--sandbox-port", "70000"],
            "--sandbox-port must be between 0 and 65535, not 70000",
        ),
    ],
)
def test_a_sandbox_option_out_of_range_is_refused(args, sentence):
    result = manage(*args)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"CommandError: {sentence}"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", ["", "   "])
def test_an_api_token_needs_a_name(name):
    result = manage("create_api_token", name)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "CommandError: a token needs a name that says who uses it, e.g. 'k8s-cronjob'"
    ]
    assert result.stdout == ""
    assert not ApiToken.objects.exists()
