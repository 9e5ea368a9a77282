"""The console's buttons against the sandboxes over loopback HTTP: test, sync now, save and test."""

import time

import pytest
from django.urls import reverse

from sync.models import SyncRun
from sync.sources.bakalari.models import Pupil
from tenants.models import Connection
from tests.admin_pages import NO_ACCOUNTS, as_posted, inlines_as_posted


@pytest.fixture
def background(settings):
    """Runs started by the admin go to a thread of this process, where the test can watch."""
    settings.SYNC_EXECUTOR = "thread"


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def progress(client, run) -> dict:
    response = client.get(reverse("admin:sync_syncrun_progress"), {"id": run.pk})
    (state,) = response.json()["runs"]
    return state


def wait_until_finished(client, run, seconds=20, seen=None) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = progress(client, run)
        if seen is not None:
            seen.append(state)
        if state["finished"]:
            return state
        time.sleep(0.1)
    raise AssertionError(f"run {run.pk} still {state['status']} after {seconds} s")


# Sync now


@pytest.mark.django_db(transaction=True)
@pytest.mark.whole_school  # enough answers to watch the bar move
def test_sync_now_returns_at_once_and_the_run_page_follows_it_to_the_end(
    admin_client, served, background
):
    connection = served.connect("skola")
    served.apps["bakalari"].faults.latency = 0.02  # long enough to be seen running

    response = admin_client.post(reverse("admin:tenants_connection_sync", args=[connection.pk]))

    run = SyncRun.objects.get(connection=connection)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:sync_syncrun_change", args=[run.pk])
    assert run.status in ("queued", "running")  # the request did not wait for the sync
    assert run.trigger == "manual"
    page = admin_client.get(response["Location"]).content.decode()
    assert f'data-run="{run.pk}"' in page and "data-pending" in page

    seen = []
    state = wait_until_finished(admin_client, run, seen=seen)
    assert state["status"] == "ok"
    assert state["streams"] == "11 of 11" and state["percent"] == 100
    bar = [s["percent"] for s in seen]
    assert bar == sorted(bar), "the bar never moves back"
    assert any(0 < p < 90 for p in bar), f"the bar moved while fetching: {bar}"
    totals = {s["answers"].split(" of ")[1] for s in seen if s["answers"]}
    assert len(totals) == 1 and int(totals.pop()) > 100  # known once the rosters are listed
    assert state["requests"] > 100
    assert {"stream": "pupils", "created": 598, "updated": 0, "unchanged": 0, "missing": 0} in (
        state["counts"]
    )
    assert Pupil.objects.filter(tenant=connection.tenant).count() == 598


@pytest.mark.django_db(transaction=True)
def test_a_second_click_while_syncing_starts_no_second_run(admin_client, served, background):
    connection = served.connect("autoskola", source="sari")
    # a sync of a few seconds: the second click comes while it runs, however loaded the machine
    served.apps["sari"].faults.latency = 0.3
    url = reverse("admin:tenants_connection_sync", args=[connection.pk])

    first = admin_client.post(url)
    second = admin_client.post(url, follow=True)

    assert "is already syncing; no second run was started" in " ".join(messages_of(second))
    assert second.redirect_chain[-1][0] == first["Location"]
    run = SyncRun.objects.get(connection=connection)
    wait_until_finished(admin_client, run)


@pytest.mark.django_db(transaction=True)
def test_sync_now_on_the_tenant_page_starts_each_enabled_connection(
    admin_client, served, background
):
    bakalari = served.connect("skola")
    served.connect("skola", source="sari", enabled=False)

    response = admin_client.post(
        reverse("admin:tenants_tenant_sync", args=[bakalari.tenant_id]), follow=True
    )

    (run,) = SyncRun.objects.all()
    assert run.connection == bakalari
    assert "Skola · SARI is disabled" in " ".join(messages_of(response))
    assert wait_until_finished(admin_client, run)["status"] == "ok"


@pytest.mark.django_db(transaction=True)
def test_the_sync_action_starts_the_selected_and_lists_their_runs(admin_client, served, background):
    selected = [served.connect("skola-a", source="sari"), served.connect("skola-b", source="sari")]
    served.connect("skola-c", source="sari")

    response = admin_client.post(
        reverse("admin:tenants_connection_changelist"),
        {"action": "sync_selected", "_selected_action": [c.pk for c in selected]},
    )

    runs = SyncRun.objects.all()
    assert {run.connection_id for run in runs} == {c.pk for c in selected}
    assert response["Location"].startswith(reverse("admin:sync_syncrun_changelist") + "?id__in=")
    listed = admin_client.get(response["Location"]).context["cl"]
    assert listed.result_count == 2
    for run in runs:
        assert wait_until_finished(admin_client, run)["status"] == "ok"


# Test connection


def test_a_working_connection_tests_ok_and_the_result_is_kept(admin_client, served, db):
    connection = served.connect("skola")

    response = admin_client.post(
        reverse("admin:tenants_connection_test", args=[connection.pk]), follow=True
    )

    (message,) = messages_of(response)
    assert message.startswith("Test of Skola · Bakaláři succeeded: Logged in as")
    connection.refresh_from_db()
    assert connection.last_test_ok is True
    assert connection.last_tested_at is not None
    assert connection.last_test_result.startswith("succeeded: Logged in as")


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        (
            {"secrets": {"password": "Špatné-heslo-1"}},
            "failed at the step “Login”: Bakaláři rejected",
        ),
        ({"base_url": "http://127.0.0.1:9"}, "failed at the step “Connection”:"),
    ],
)
def test_a_failing_connection_names_the_failing_step(admin_client, served, db, fields, says):
    connection = served.connect("skola")
    for name, value in fields.items():
        setattr(connection, name, value)
    connection.save()

    response = admin_client.post(
        reverse("admin:tenants_connection_test", args=[connection.pk]), follow=True
    )

    (message,) = response.context["messages"]
    assert says in str(message)
    assert message.level_tag == "error"
    connection.refresh_from_db()
    assert connection.last_test_ok is False


def test_the_test_action_tests_every_selected_connection(admin_client, served, db):
    good = served.connect("skola")
    bad = served.connect("skola", source="sari", secrets={"client_id": "x"})

    response = admin_client.post(
        reverse("admin:tenants_connection_changelist"),
        {"action": "test_selected", "_selected_action": [good.pk, bad.pk]},
        follow=True,
    )

    said = messages_of(response)
    assert any("Skola · Bakaláři succeeded" in m for m in said)
    assert any("Skola · SARI failed at the step “Settings”" in m for m in said)


def test_save_and_test_tests_what_was_just_typed(admin_client, served, db):
    connection = served.connect("skola", secrets={"password": "staré-heslo"})
    form = {
        "tenant": connection.tenant_id,
        "enabled": "on",
        "bakalari__base_url": connection.base_url,
        "bakalari__username": connection.options["username"],
        "_saveandtest": "Save and test",
        **NO_ACCOUNTS,
    }
    url = reverse("admin:tenants_connection_change", args=[connection.pk])

    failed = admin_client.post(url, form, follow=True)
    fixed = admin_client.post(
        url, {**form, "bakalari__password": "Sandbox-Řeřicha-42"}, follow=True
    )

    assert "failed at the step “Login”" in messages_of(failed)[-1]
    assert failed.redirect_chain[-1][0] == url
    assert "succeeded: Logged in as" in messages_of(fixed)[-1]
    connection.refresh_from_db()
    assert connection.last_test_ok is True


def test_save_and_test_on_the_tenant_page_tests_its_connections(admin_client, served, db):
    connection = served.connect("skola")
    url = reverse("admin:tenants_tenant_change", args=[connection.tenant_id])
    page = admin_client.get(url)
    data = {**as_posted(page.context["adminform"].form), **inlines_as_posted(page)}
    data["_saveandtest"] = "Save and test"

    response = admin_client.post(url, data, follow=True)

    said = messages_of(response)
    assert said[0] == "Skola was saved."
    assert said[1].startswith("Test of Skola · Bakaláři succeeded")
    assert Connection.objects.filter(tenant=connection.tenant).count() == 1


def test_a_new_tenant_and_its_connection_are_saved_and_tested_from_one_page(
    admin_client, served, db
):
    url = reverse("admin:tenants_tenant_add")
    page = admin_client.get(url)
    data = {"name": "Nová škola", "slug": "nova", "kind": "school", "active": "on"}
    data.update(inlines_as_posted(page))
    bakalari = page.context["inline_admin_formsets"][0].formset.forms[0]
    data.update(
        {
            bakalari.add_prefix("bakalari__base_url"): f"{served.url}/bakalari/login",
            bakalari.add_prefix("bakalari__username"): "synchronizace",
            bakalari.add_prefix("bakalari__password"): "Sandbox-Řeřicha-42",
            "_saveandtest": "Save and test",
        }
    )

    response = admin_client.post(url, data, follow=True)

    assert "Test of Nová škola · Bakaláři succeeded" in messages_of(response)[-1]
    (connection,) = Connection.objects.filter(tenant__slug="nova")
    assert connection.source == "bakalari"
    assert connection.base_url == f"{served.url}/bakalari"
    assert connection.secrets == {"password": "Sandbox-Řeřicha-42"}
