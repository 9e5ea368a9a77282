"""Stored and typed credentials never come back out of the admin: not in pages, not in messages."""

import html
from urllib.parse import quote, quote_plus

import pytest
from django.urls import reverse

from sync.models import SyncRun
from sync.run.engine import sync_connection
from sync.sources import registry
from tests.admin_pages import NO_ACCOUNTS, as_posted, inlines_as_posted

TYPED = "Napsané-Špatné-Heslo-9"


def stored_secrets() -> list[str]:
    return [
        source.demo_settings[field.name]
        for source in registry.all_sources()
        for field in source.secret_fields
    ]


def assert_no_secret_in(text: str, secrets: list[str]) -> None:
    for secret in secrets:
        for form in {secret, html.escape(secret), quote(secret), quote_plus(secret)}:
            assert form not in text, f"a secret appeared as {form!r}"


@pytest.fixture
def connected(served, db):
    """A tenant with both sources connected to the sandboxes."""
    return served.connect("skola"), served.connect("skola", source="sari")


def test_no_admin_page_shows_a_stored_secret(admin_client, connected):
    bakalari, sari = connected
    sync_connection(sari, trigger="cli")
    tested = admin_client.post(
        reverse("admin:tenants_tenant_test", args=[bakalari.tenant_id]), follow=True
    )
    run = SyncRun.objects.filter(connection=sari).first()
    pages = [
        tested,
        admin_client.get(reverse("admin:tenants_tenant_changelist")),
        admin_client.get(reverse("admin:tenants_connection_changelist")),
        admin_client.get(reverse("admin:tenants_connection_add")),
        admin_client.get(reverse("admin:tenants_connection_change", args=[bakalari.pk])),
        admin_client.get(reverse("admin:tenants_connection_change", args=[sari.pk])),
        admin_client.get(reverse("admin:sync_syncrun_changelist")),
        admin_client.get(reverse("admin:sync_syncrun_change", args=[run.pk])),
        admin_client.get(reverse("admin:sync_syncrun_progress"), {"id": run.pk}),
    ]
    assert "Test of Skola · SARI succeeded" in tested.content.decode()
    for page in pages:
        assert page.status_code == 200
        assert_no_secret_in(page.content.decode(), stored_secrets())


def test_the_tenant_page_with_its_connection_forms_shows_no_stored_secret(admin_client, connected):
    tenant_id = connected[0].tenant_id
    page = admin_client.get(reverse("admin:tenants_tenant_change", args=[tenant_id]))
    text = page.content.decode()
    assert text.count("Stored. Leave blank to keep it") == 5  # Bakaláři's one, SARI's four
    assert_no_secret_in(text, stored_secrets())


def test_a_typed_secret_is_not_echoed_by_save_and_test(admin_client, connected):
    bakalari = connected[0]
    response = admin_client.post(
        reverse("admin:tenants_connection_change", args=[bakalari.pk]),
        {
            "tenant": bakalari.tenant_id,
            "enabled": "on",
            "bakalari__base_url": bakalari.base_url,
            "bakalari__username": bakalari.options["username"],
            "bakalari__password": TYPED,
            "_saveandtest": "Save and test",
            **NO_ACCOUNTS,
        },
        follow=True,
    )
    text = response.content.decode()
    assert "failed at the step “Login”" in text
    assert_no_secret_in(text, [TYPED])


def tenant_page_posted(page) -> tuple[dict, object]:
    """The tenant page's data as posted, and its Bakaláři connection form."""
    data = {**as_posted(page.context["adminform"].form), **inlines_as_posted(page)}
    return data, page.context["inline_admin_formsets"][0].formset.forms[0]


def test_moving_a_connection_on_its_tenant_page_needs_its_password_again(admin_client, connected):
    bakalari = connected[0]
    url = reverse("admin:tenants_tenant_change", args=[bakalari.tenant_id])
    data, form = tenant_page_posted(admin_client.get(url))
    data[form.add_prefix("bakalari__base_url")] = "https://evil.example"

    response = admin_client.post(url, data)

    assert response.status_code == 200
    text = html.unescape(response.content.decode())
    assert "The address changed: type the password again." in text
    bakalari.refresh_from_db()
    assert bakalari.base_url != "https://evil.example"


def test_a_refused_tenant_page_asks_for_the_typed_secret_again(admin_client, connected):
    bakalari = connected[0]
    url = reverse("admin:tenants_tenant_change", args=[bakalari.tenant_id])
    data, form = tenant_page_posted(admin_client.get(url))
    data.update({"name": "", form.add_prefix("bakalari__password"): TYPED})

    response = admin_client.post(url, data)

    assert response.status_code == 200
    form = response.context["inline_admin_formsets"][0].formset.forms[0]
    assert "Not kept, for safety" in form.errors["bakalari__password"][0]
    assert_no_secret_in(response.content.decode(), [TYPED])
