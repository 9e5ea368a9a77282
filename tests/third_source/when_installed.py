"""The library, installed by `settings.py` alone, synced and shown like the two real sources.

Run by `tests/test_third_source.py` in a process of its own; not named test_*.py, so the main
run, whose database has no library tables, does not collect it.
"""

import io
import json

import httpx
import pytest
from django.core.management import call_command
from django.urls import reverse

from sync.run.engine import sync_connection
from sync.sources import registry
from tenants.models import Connection, Tenant

from .models import Book, Branch
from .sandbox import DEMO_API_KEY, LibrarySandbox

LIBRARY_URL = "http://library.test/library"


@pytest.fixture
def sandbox():
    return LibrarySandbox("/library")


@pytest.fixture
def connection(db):
    tenant = Tenant.objects.create(name="Gymnázium Knižní", slug="knizni", kind="school")
    location = registry.get("library").locate({"base_url": LIBRARY_URL}, allow_insecure=True)
    return Connection.objects.create(
        tenant=tenant,
        source="library",
        base_url=location.base_url,
        secrets={"api_key": DEMO_API_KEY},
    )


@pytest.fixture
def synced(connection, sandbox):
    return sync_connection(connection, trigger="cli", transport=httpx.WSGITransport(app=sandbox))


def test_the_registry_finds_the_library_beside_the_real_sources():
    assert {"bakalari", "library", "sari"} <= {s.slug for s in registry.all_sources()}
    assert registry.label_of("library") == "Library"


def test_the_connection_test_lists_the_branches(connection, sandbox):
    transport = httpx.WSGITransport(app=sandbox)

    diagnosis = registry.get("library").test_connection(connection, transport=transport)

    assert diagnosis.ok, diagnosis.summary()
    assert diagnosis.message == "The library lists 2 branches."


def test_the_engine_mirrors_branches_and_books_linked_to_them(synced):
    assert synced.status == "ok", synced.error_message
    assert synced.counts["branch"]["created"] == 2
    assert synced.counts["book"]["created"] == 3
    assert Book.objects.get(external_id="b-3").branch == Branch.objects.get(external_id="river")
    synced.connection.refresh_from_db()
    assert synced.connection.last_sync_status == "ok"


def test_a_second_run_writes_nothing_and_marks_a_withdrawn_book_missing(synced, sandbox):
    sandbox.branches["central"]["books"].pop()  # R.U.R. withdrawn

    run = sync_connection(
        synced.connection, trigger="cli", transport=httpx.WSGITransport(app=sandbox)
    )

    assert run.counts["branch"] == {"created": 0, "updated": 0, "unchanged": 2, "missing": 0}
    assert run.counts["book"] == {"created": 0, "updated": 0, "unchanged": 2, "missing": 1}
    assert not Book.objects.get(external_id="b-2").active


def test_a_wrong_api_key_fails_the_run_as_a_login_failure(connection, sandbox):
    Connection.objects.filter(pk=connection.pk).update(secrets={"api_key": "stale"})
    connection.refresh_from_db()

    run = sync_connection(connection, trigger="cli", transport=httpx.WSGITransport(app=sandbox))

    assert run.status == "failed"
    assert "refused the API key" in run.error_message
    assert not Branch.objects.exists()


@pytest.mark.parametrize(
    ("model", "shown"),
    [("branch", ["Central Library", "Olomouc"]), ("book", ["Krakatit", "Karel Čapek"])],
)
def test_the_admin_lists_the_mirrored_rows(admin_client, synced, model, shown):
    page = admin_client.get(reverse(f"admin:library_{model}_changelist"))

    assert page.status_code == 200
    assert page.context["cl"].result_count == {"branch": 2, "book": 3}[model]
    for text in shown:
        assert text in page.content.decode()


def test_the_connection_form_offers_the_library_and_its_settings(admin_client, db):
    page = admin_client.get(reverse("admin:tenants_connection_add")).content.decode()

    assert '<option value="library">Library</option>' in page
    assert "Library settings" in page
    assert 'name="library__api_key"' in page


def test_a_new_school_is_offered_a_library_connection(admin_client, db):
    page = admin_client.get(reverse("admin:tenants_tenant_add"), {"kind": "school"})

    assert "Library connection" in page.content.decode()


def test_the_connection_list_shows_the_library_connection_healthy(admin_client, synced):
    page = admin_client.get(reverse("admin:tenants_connection_changelist")).content.decode()

    assert "Gymnázium Knižní · Library" in page
    assert '<td class="field-health_cell">OK</td>' in page
    assert '<td class="field-success_rate_cell">100% of 1</td>' in page


def test_the_tenant_list_and_the_run_history_name_the_library(admin_client, synced):
    tenants = admin_client.get(reverse("admin:tenants_tenant_changelist")).content.decode()
    runs = admin_client.get(
        reverse("admin:sync_syncrun_changelist"), {"connection__source": "library"}
    )

    assert "Library: OK" in tenants
    assert [run.pk for run in runs.context["cl"].result_list] == [synced.pk]


@pytest.mark.django_db(transaction=True)
def test_the_commands_sync_the_library_over_http_and_report_it_healthy(served):
    served.connect("knizni", source="library")
    synced, status = io.StringIO(), io.StringIO()

    call_command("sync_sources", "--source", "library", "--json", stdout=synced)
    call_command("sync_status", stdout=status)

    summary = json.loads(synced.getvalue())
    assert summary["success"] is True
    assert summary["runs"][0]["counts"]["book"]["created"] == 3
    assert Book.objects.filter(tenant__slug="knizni", active=True).count() == 3
    assert status.getvalue().startswith("ok        knizni/library ")
