import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection as db

from tenants.crypto import SecretUnreadable, generate_key
from tenants.models import Connection, Tenant


def rotate() -> str:
    out = io.StringIO()
    call_command("rotate_secrets", stdout=out)
    return out.getvalue()


def test_after_rotation_the_new_key_alone_decrypts(make_connection, settings, fresh_key):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    connection = make_connection(session={"refresh_token": "rt-123"})
    settings.FIELD_ENCRYPTION_KEYS = [fresh_key, old_key]

    # the connection's secrets and session, and its tenant's alert channels
    assert "3 secret value(s) re-encrypted" in rotate()

    settings.FIELD_ENCRYPTION_KEYS = [fresh_key]
    reloaded = Connection.objects.get(pk=connection.pk)
    assert reloaded.secrets == {"password": "s3cr3t-Heslo-řžč"}
    assert reloaded.session == {"refresh_token": "rt-123"}


def test_once_retired_the_old_key_no_longer_suffices(make_connection, settings, fresh_key):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    connection = make_connection()
    settings.FIELD_ENCRYPTION_KEYS = [fresh_key, old_key]
    rotate()
    settings.FIELD_ENCRYPTION_KEYS = [old_key]
    with pytest.raises(SecretUnreadable):
        Connection.objects.get(pk=connection.pk)


def test_a_second_rotation_rewrites_nothing(make_connection, settings, fresh_key):
    make_connection()
    settings.FIELD_ENCRYPTION_KEYS = [fresh_key, *settings.FIELD_ENCRYPTION_KEYS]
    rotate()
    assert "0 secret value(s) re-encrypted under the newest key; 3 already used it" in rotate()


def stored() -> dict:
    """Every connection's columns of secrets as the database holds them: ciphertext."""
    with db.cursor() as cursor:
        cursor.execute("SELECT id, secrets, session FROM tenants_connection")
        return {pk: columns for pk, *columns in cursor.fetchall()}


@pytest.mark.django_db(transaction=True)
def test_an_unreadable_row_midway_stops_the_rotation_and_changes_no_row(
    make_connection, settings, fresh_key
):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    make_connection(session={"refresh_token": "rt-123"})  # rotated first, in key order
    settings.FIELD_ENCRYPTION_KEYS = [generate_key()]  # a key about to be lost
    unreadable = make_connection(source="sari")
    settings.FIELD_ENCRYPTION_KEYS = [old_key]
    make_connection(tenant=Tenant.objects.create(name="Jiná škola", slug="jina"))
    before = stored()
    settings.FIELD_ENCRYPTION_KEYS = [fresh_key, old_key]

    with pytest.raises(CommandError, match=f"#{unreadable.pk}: .*cannot be decrypted"):
        rotate()

    assert stored() == before, "no row was rewritten, not even the one before the failure"
