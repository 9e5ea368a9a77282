import io
import json
import shutil
import subprocess

import pytest
from django.core.management import call_command
from django.db import connection as db

from tenants.crypto import SecretUnreadable
from tenants.models import Connection

SECRET = "s3cr3t-Heslo-řžč"


def raw_column(pk):
    with db.cursor() as cursor:
        cursor.execute("SELECT secrets FROM tenants_connection WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def database_dump() -> str:
    if db.vendor == "sqlite":
        return "\n".join(db.connection.iterdump())
    settings = db.settings_dict
    command = ["pg_dump", "-h", settings["HOST"], "-U", settings["USER"], settings["NAME"]]
    if settings["PORT"]:
        command += ["-p", str(settings["PORT"])]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def test_it_stores_only_ciphertext_in_the_column(make_connection):
    connection = make_connection()
    assert SECRET not in raw_column(connection.pk)
    assert Connection.objects.get(pk=connection.pk).secrets == {"password": SECRET}


@pytest.mark.django_db(transaction=True)
def test_it_keeps_secrets_out_of_a_database_dump(make_connection):
    if db.vendor == "postgresql" and not shutil.which("pg_dump"):
        pytest.skip("pg_dump is not installed")
    make_connection()
    dump = database_dump()
    assert "tenants_connection" in dump
    assert SECRET not in dump


def test_dumpdata_carries_ciphertext_that_loaddata_reads_back(make_connection, tmp_path):
    connection = make_connection()
    out = io.StringIO()
    call_command("dumpdata", "tenants.connection", stdout=out)
    assert SECRET not in out.getvalue()
    fixture = tmp_path / "connections.json"
    fixture.write_text(out.getvalue())
    Connection.objects.all().delete()
    call_command("loaddata", str(fixture), verbosity=0)
    assert Connection.objects.get(pk=connection.pk).secrets["password"] == SECRET
    assert json.loads(out.getvalue())[0]["fields"]["secrets"].startswith("gAAAA")


def test_it_says_clearly_when_no_key_can_read_a_secret(make_connection, settings, fresh_key):
    connection = make_connection()
    settings.FIELD_ENCRYPTION_KEYS = [fresh_key]
    with pytest.raises(SecretUnreadable, match="FIELD_ENCRYPTION_KEYS") as caught:
        Connection.objects.get(pk=connection.pk)
    assert SECRET not in str(caught.value)


def test_the_model_repr_shows_no_secret(make_connection):
    connection = make_connection()
    assert SECRET not in repr(connection) + str(connection)


@pytest.mark.django_db(transaction=True)
def test_secrets_stored_with_other_keys_stop_a_command_in_one_line(make_connection):
    """A database restored onto a machine whose FIELD_ENCRYPTION_KEYS lost the old key."""
    from cryptography.fernet import Fernet

    from tests.processes import manage

    make_connection()
    result = manage("sync_sources", FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode())

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "configuration error: A stored secret cannot be decrypted with the keys in "
        "FIELD_ENCRYPTION_KEYS (was a key retired before `manage.py rotate_secrets` ran?)."
    ]
