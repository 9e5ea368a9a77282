"""A tenant's alert contacts on its page: addresses checked, channels write-only like passwords.

A channel's apprise URL carries its tokens: once saved it is never shown again (only its
scheme and host), a blank field keeps it, a "clear" box removes it, and no export carries it.
"""

import html

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection as db
from django.test import Client
from django.urls import reverse

from sync.console.connection_form import NOT_KEPT
from sync.console.resources import TenantResource
from tenants.models import Tenant
from tests.admin_pages import as_posted, confirm, inlines_as_posted, upload

TOKEN = "xoxb-Tajny-Token-4242"
WEBHOOK = f"json://127.0.0.1:8080/hooks/{TOKEN}?key={TOKEN}"
SLACK_TOKEN = "Tajny0Token0Kanalu0Slack"
SLACK = f"slack://TA1234567/BB1234567/{SLACK_TOKEN}"
ADD = reverse("admin:tenants_tenant_add")


def change_url(tenant: Tenant) -> str:
    return reverse("admin:tenants_tenant_change", args=[tenant.pk])


def posted(page) -> dict:
    """The whole page as a browser posts it back untouched."""
    return {**as_posted(page.context["adminform"].form), **inlines_as_posted(page)}


def save(client: Client, tenant: Tenant, **typed):
    url = change_url(tenant)
    return client.post(url, {**posted(client.get(url)), **typed})


def shown(response) -> str:
    return html.unescape(response.content.decode())


def form_errors(response) -> dict:
    return response.context["adminform"].form.errors if response.status_code == 200 else {}


def raw_alert_urls(tenant: Tenant) -> str:
    with db.cursor() as cursor:
        cursor.execute("SELECT alert_urls FROM tenants_tenant WHERE id = %s", [tenant.pk])
        return cursor.fetchone()[0]


@pytest.fixture
def loopback_allowed(settings):
    settings.SYNC_ALLOW_INSECURE_URLS = True  # the test channels are plain http on loopback


@pytest.fixture
def with_channels(admin_client, tenant, loopback_allowed):
    response = save(admin_client, tenant, alert_urls_typed=f"{WEBHOOK}\n{SLACK}\n")
    assert response.status_code == 302, form_errors(response)
    tenant.refresh_from_db()
    return tenant


def test_typed_channels_are_stored_encrypted_and_never_shown_again(admin_client, with_channels):
    assert with_channels.alert_urls == {"urls": [WEBHOOK, SLACK]}
    assert TOKEN not in raw_alert_urls(with_channels)

    page = shown(admin_client.get(change_url(with_channels)))

    assert TOKEN not in page and SLACK_TOKEN not in page
    assert "Stored: json://127.0.0.1:8080, slack://…. Leave blank to keep them" in page
    assert "Clear the stored alert channels" in page


def test_a_blank_field_keeps_the_stored_channels(admin_client, with_channels):
    response = save(admin_client, with_channels, name="Gymnázium Nové Jméno")

    assert response.status_code == 302, form_errors(response)
    with_channels.refresh_from_db()
    assert (with_channels.name, with_channels.alert_urls["urls"]) == (
        "Gymnázium Nové Jméno",
        [WEBHOOK, SLACK],
    )


def test_new_channels_replace_the_stored_ones(admin_client, with_channels):
    save(admin_client, with_channels, alert_urls_typed="jsons://hooks.example.cz/edurpg")
    with_channels.refresh_from_db()
    assert with_channels.alert_urls == {"urls": ["jsons://hooks.example.cz/edurpg"]}


def test_the_clear_box_removes_the_stored_channels(admin_client, with_channels):
    response = save(admin_client, with_channels, clear_alert_urls="on")

    assert response.status_code == 302, form_errors(response)
    with_channels.refresh_from_db()
    assert with_channels.alert_urls == {}
    assert "Clear the stored alert channels" not in shown(
        admin_client.get(change_url(with_channels))
    )


def test_typing_channels_and_ticking_clear_at_once_is_refused(admin_client, with_channels):
    response = save(admin_client, with_channels, alert_urls_typed=WEBHOOK, clear_alert_urls="on")
    assert form_errors(response)["alert_urls_typed"][0] == (
        "Type new channels or tick “clear”, not both."
    )
    assert TOKEN not in shown(response)


def test_a_bad_address_and_a_bad_channel_are_each_refused_in_one_line(
    admin_client, tenant, loopback_allowed
):
    response = save(
        admin_client,
        tenant,
        alert_emails="ops@example.cz, ne-adresa",
        alert_urls_typed=f"{WEBHOOK}\nslack://{SLACK_TOKEN}\nbogus://{TOKEN}/x",
    )

    errors = form_errors(response)
    assert errors["alert_emails"] == ["“ne-adresa” is not an e-mail address."]
    assert errors["alert_urls_typed"] == [
        "Channel slack://…: not a channel address apprise understands.",
        "Channel bogus://…: not a channel address apprise understands.",
        NOT_KEPT,
    ]
    assert TOKEN not in shown(response) and SLACK_TOKEN not in shown(response)
    tenant.refresh_from_db()
    assert (tenant.alert_emails, tenant.alert_urls) == ("", {})


@pytest.mark.parametrize(
    "url, refusal",
    [
        (
            f"jsons://10.0.0.5/hooks/{TOKEN}",
            "Channel jsons://10.0.0.5: a local or private network address; "
            "only public servers are allowed.",
        ),
        (
            f"jsons://localhost:8443/{TOKEN}",
            "Channel jsons://localhost:8443: a local or private network address; "
            "only public servers are allowed.",
        ),
        (
            f"json://hooks.example.cz/{TOKEN}",
            "Channel json://hooks.example.cz: sends in the clear; use the secure form (jsons://…).",
        ),
    ],
)
def test_a_channel_to_a_private_host_or_in_the_clear_is_refused(
    admin_client, tenant, settings, url, refusal
):
    settings.SYNC_ALLOW_INSECURE_URLS = False
    response = save(admin_client, tenant, alert_urls_typed=url)
    assert form_errors(response)["alert_urls_typed"][0] == refusal
    assert TOKEN not in shown(response)


def test_a_page_refused_for_another_field_asks_for_the_channels_again(
    admin_client, tenant, loopback_allowed
):
    response = save(admin_client, tenant, name="", alert_urls_typed=WEBHOOK)

    assert form_errors(response)["alert_urls_typed"] == [NOT_KEPT]
    assert TOKEN not in shown(response)


def test_addresses_are_kept_one_per_line_each_once(admin_client, tenant):
    response = save(
        admin_client, tenant, alert_emails="ops@example.cz,reditel@skola.cz\nops@example.cz"
    )
    assert response.status_code == 302, form_errors(response)
    tenant.refresh_from_db()
    assert tenant.alert_emails == "ops@example.cz\nreditel@skola.cz"


def test_a_new_tenant_is_added_with_its_contacts(admin_client, db, loopback_allowed):
    data = {
        **posted(admin_client.get(ADD)),
        "name": "Nová škola",
        "slug": "nova",
        "alert_emails": "ops@example.cz",
        "alert_urls_typed": WEBHOOK,
    }
    response = admin_client.post(ADD, data)

    assert response.status_code == 302, form_errors(response)
    tenant = Tenant.objects.get(slug="nova")
    assert (tenant.alert_emails, tenant.alert_urls) == ("ops@example.cz", {"urls": [WEBHOOK]})


def test_an_export_never_carries_the_channels(admin_user, with_channels):
    exported = TenantResource(user=admin_user).export()
    assert "alert_urls" not in exported.headers
    assert TOKEN not in exported.csv


def test_an_import_of_the_tenants_keeps_their_channels(admin_client, with_channels):
    preview = upload(
        admin_client, "tenants_tenant", "slug,name,kind,active\ngympri,Nový název,school,1\n"
    )
    confirm(admin_client, "tenants_tenant", preview)

    with_channels.refresh_from_db()
    assert (with_channels.name, with_channels.alert_urls["urls"]) == (
        "Nový název",
        [WEBHOOK, SLACK],
    )


def test_a_member_who_may_only_look_sees_where_channels_go_not_their_tokens(with_channels):
    viewer = User.objects.create_user("viktor", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_tenant"))
    with_channels.staff.add(viewer)
    client = Client()
    client.force_login(viewer)

    page = shown(client.get(change_url(with_channels)))

    assert "json://127.0.0.1:8080, slack://…" in page
    assert TOKEN not in page and SLACK_TOKEN not in page
    assert "alert_urls_typed" not in page
