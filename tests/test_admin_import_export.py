"""Export of the run history; import and export of tenants and connections, never secrets."""

import csv
import html
import io
import json

import openpyxl
import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from sync.models import SyncRun
from sync.sources.sari import dataset as sari_dataset
from sync.sources.sari.source import ENVIRONMENTS
from tenants.models import Connection, Tenant
from tests.admin_pages import confirm, upload

FORMATS = ["csv", "xlsx", "json"]  # the order the export form offers them in
BAKALARI_PASSWORD = "Heslo-Bakaláři-77"
SARI_SECRETS = {
    "client_id": "4_klient-id-tajne",
    "client_secret": sari_dataset.DEMO_CLIENT_SECRET,
    "username": "fahrschule+api",
    "password": "Passwort/Geheim+1",
}


@pytest.fixture
def tenant_a(db):
    return Tenant.objects.create(name="Gymnázium A", slug="gym-a")


@pytest.fixture
def connections(tenant_a):
    tenant_b = Tenant.objects.create(name="Fahrschule B", slug="fs-b", kind="driving_school")
    return [
        Connection.objects.create(
            tenant=tenant_a,
            source="bakalari",
            base_url="https://gym-a.example.cz",
            options={"username": "ucitel"},
            secrets={"password": BAKALARI_PASSWORD},
        ),
        Connection.objects.create(
            tenant=tenant_b,
            source="sari",
            base_url=ENVIRONMENTS["test"],
            options={"environment": "test"},
            secrets=SARI_SECRETS,
        ),
    ]


@pytest.fixture
def member(tenant_a):
    user = User.objects.create_user("clen", is_staff=True)
    codenames = ["view_syncrun", "view_connection", "add_connection", "change_connection"]
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    tenant_a.staff.add(user)
    return user


def export(client, model: str, file_format: str, query: str = "") -> bytes:
    """Post the export form as a browser would, every column ticked."""
    url = reverse(f"admin:{model}_export") + query
    form = client.get(url).context["form"]
    data = {"format": FORMATS.index(file_format)}
    data.update({name: "on" for name, field in form.fields.items() if field.initial is True})
    response = client.post(url, data)
    assert response.status_code == 200, response.content[:500]
    return response.content


def rows_of(content: bytes, file_format: str) -> list[dict]:
    if file_format == "csv":
        return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    if file_format == "json":
        return json.loads(content)
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(header, row, strict=True)) for row in rows]


# The run history


@pytest.mark.parametrize("file_format", FORMATS)
def test_the_history_exports_as_csv_xlsx_and_json(admin_client, connections, file_format):
    SyncRun.objects.create(
        connection=connections[0],
        trigger="cron",
        status="ok",
        counts={"pupil": {"created": 598, "updated": 1, "unchanged": 0, "missing": 2}},
        requests_made=155,
    )

    (row,) = rows_of(export(admin_client, "sync_syncrun", file_format), file_format)

    assert row["tenant"] == "gym-a" and row["source"] == "bakalari"
    assert row["status"] == "ok" and row["trigger"] == "cron"
    assert str(row["created"]) == "598" and str(row["missing"]) == "2"
    assert str(row["requests_made"]) == "155"


def test_the_history_export_follows_the_filters_and_the_tenant_scope(client, connections, member):
    for connection in connections:
        for status in ("ok", "failed"):
            SyncRun.objects.create(connection=connection, trigger="cron", status=status)
    client.force_login(member)

    rows = rows_of(export(client, "sync_syncrun", "csv", "?status__exact=failed"), "csv")

    assert [(row["tenant"], row["status"]) for row in rows] == [("gym-a", "failed")]


# Connections and tenants


@pytest.mark.parametrize("file_format", FORMATS)
def test_exported_connections_carry_no_secret(admin_client, connections, file_format):
    content = export(admin_client, "tenants_connection", file_format)

    rows = rows_of(content, file_format)
    assert set(rows[0]) == {"tenant", "source", "enabled", "base_url", "options"}
    assert {row["tenant"] for row in rows} == {"gym-a", "fs-b"}
    everything = content + json.dumps(rows, default=str, ensure_ascii=False).encode()
    for secret in [BAKALARI_PASSWORD, *SARI_SECRETS.values()]:
        assert secret.encode() not in everything
        assert json.dumps(secret).encode() not in everything


def test_a_connection_import_is_previewed_then_confirmed(client, connections, member):
    client.force_login(member)
    text = (
        "tenant,source,enabled,base_url,options\n"
        'gym-a,bakalari,1,https://gym-a.example.cz/login,"{""username"": ""novy""}"\n'
        'gym-a,sari,0,,"{""environment"": ""test""}"\n'
    )

    preview = upload(client, "tenants_connection", text)

    result = preview.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    assert [row.import_type for row in result.rows] == ["update", "new"]
    assert Connection.objects.filter(tenant__slug="gym-a").count() == 1  # a dry run

    confirm(client, "tenants_connection", preview)

    bakalari = Connection.objects.get(tenant__slug="gym-a", source="bakalari")
    assert bakalari.base_url == "https://gym-a.example.cz"  # normalised like the form does
    assert bakalari.options == {"username": "novy"}
    assert bakalari.secrets == {"password": BAKALARI_PASSWORD}  # untouched by the import
    assert bakalari.enabled
    sari = Connection.objects.get(tenant__slug="gym-a", source="sari")
    assert (sari.enabled, sari.secrets) == (False, {})


def warnings_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"] if m.level_tag == "warning"]


def test_an_imported_connection_without_its_secrets_arrives_disabled(client, connections, member):
    client.force_login(member)
    text = 'tenant,source,enabled,base_url,options\ngym-a,sari,1,,"{""environment"": ""test""}"\n'

    preview = upload(client, "tenants_connection", text)
    done = confirm(client, "tenants_connection", preview)

    said = (
        "Gymnázium A · SARI arrives disabled: no client ID, client secret, API username and "
        "API password is stored. Type the credentials on the connection's page, then enable it."
    )
    assert warnings_of(preview) == [said]
    assert warnings_of(done) == [said]
    assert not Connection.objects.get(tenant__slug="gym-a", source="sari").enabled


def test_an_import_disables_an_existing_connection_that_lacks_its_secrets(
    admin_client, connections
):
    Connection.objects.filter(pk=connections[0].pk).update(secrets={})
    text = (
        "tenant,source,enabled,base_url,options\n"
        'gym-a,bakalari,1,https://gym-a.example.cz,"{""username"": ""novy""}"\n'
    )

    confirm(admin_client, "tenants_connection", upload(admin_client, "tenants_connection", text))

    connections[0].refresh_from_db()
    assert (connections[0].enabled, connections[0].options) == (False, {"username": "novy"})


def test_an_import_that_moves_a_connection_drops_its_stored_secrets(client, connections, member):
    Connection.objects.filter(pk=connections[0].pk).update(session={"refresh_token": "old"})
    client.force_login(member)
    text = (
        "tenant,source,enabled,base_url,options\n"
        'gym-a,bakalari,1,https://evil.example/login,"{""username"": ""ucitel""}"\n'
    )

    preview = upload(client, "tenants_connection", text)
    assert Connection.objects.get(pk=connections[0].pk).secrets  # a dry run
    done = confirm(client, "tenants_connection", preview)

    moved = Connection.objects.get(pk=connections[0].pk)
    assert moved.base_url == "https://evil.example"
    assert (moved.secrets, moved.session, moved.enabled) == ({}, {}, False)
    assert "Gymnázium A · Bakaláři moves to a new address" in warnings_of(done)[0]
    assert "arrives disabled: no password is stored" in warnings_of(done)[1]


def test_the_connection_import_page_says_credentials_are_not_imported(admin_client, connections):
    page = admin_client.get(reverse("admin:tenants_connection_import")).content.decode()
    assert "Credentials are never imported." in page


def test_exported_connections_import_back_as_unchanged(admin_client, connections):
    content = export(admin_client, "tenants_connection", "csv").decode("utf-8-sig")
    preview = upload(admin_client, "tenants_connection", content)
    assert [row.import_type for row in preview.context["result"].rows] == ["skip", "skip"]


def test_a_member_cannot_import_into_another_tenant(client, connections, member):
    client.force_login(member)
    text = 'tenant,source,enabled,base_url,options\nfs-b,sari,1,,"{""environment"": ""test""}"\n'

    preview = upload(client, "tenants_connection", text)

    assert preview.context["result"].has_errors()
    assert "There is no tenant 'fs-b' among yours." in html.unescape(preview.content.decode())
    assert "confirm_form" not in preview.context
    assert Connection.objects.get(tenant__slug="fs-b").options == {"environment": "test"}


def test_an_import_obeys_the_address_policy(admin_client, connections, settings):
    settings.SYNC_ALLOW_INSECURE_URLS = False
    text = 'tenant,source,enabled,base_url,options\ngym-a,bakalari,1,https://10.0.0.7/,"{}"\n'

    preview = upload(admin_client, "tenants_connection", text)

    assert preview.context["result"].has_validation_errors()
    assert "local or private network address" in preview.content.decode()


def test_an_import_needs_the_settings_the_form_needs(admin_client, connections):
    text = (
        "tenant,source,enabled,base_url,options\n"
        'gym-a,bakalari,1,https://gym-a.example.cz,"{}"\n'
        'fs-b,sari,1,,"{""environment"": ""staging""}"\n'
    )

    preview = upload(admin_client, "tenants_connection", text)

    assert preview.context["result"].has_validation_errors()
    page = html.unescape(preview.content.decode())
    assert "Username: This field is required." in page
    assert "Environment: Unknown environment 'staging'." in page
    assert Connection.objects.get(tenant__slug="gym-a").options == {"username": "ucitel"}


def test_tenants_are_imported_by_superusers_only(admin_client, client, connections, member):
    client.force_login(member)
    assert client.get(reverse("admin:tenants_tenant_import")).status_code == 403

    preview = upload(
        admin_client, "tenants_tenant", "slug,name,kind,active\nnova,Nová škola,school,1\n"
    )
    assert not Tenant.objects.filter(slug="nova").exists()
    confirm(admin_client, "tenants_tenant", preview)
    assert Tenant.objects.get(slug="nova").name == "Nová škola"


def test_a_member_exports_only_her_tenants(client, connections, member):
    member.user_permissions.add(Permission.objects.get(codename="view_tenant"))
    client.force_login(member)
    rows = rows_of(export(client, "tenants_tenant", "json"), "json")
    assert [row["slug"] for row in rows] == ["gym-a"]


def test_exporting_needs_the_view_permission(client, connections):
    staff = User.objects.create_user("bez-prav", is_staff=True)
    connections[0].tenant.staff.add(staff)
    client.force_login(staff)
    for model in ("sync_syncrun", "tenants_connection", "tenants_tenant"):
        assert client.get(reverse(f"admin:{model}_export")).status_code == 403, model
        assert client.get(reverse(f"admin:{model}_changelist")).status_code == 403, model
