"""The admin's form and the import apply one set of connection rules, so they agree.

The same change, typed into a connection's page and imported from a file, leaves the same
connection behind: where it points, which secrets and tokens it keeps, whether it stays enabled.
"""

import json

import pytest
from django.urls import reverse

from sync.sources.sari.source import ENVIRONMENTS
from tenants.models import Connection, Tenant
from tests.admin_pages import as_posted, confirm, inlines_as_posted, upload

STORED = {
    "bakalari": {"password": "Heslo-Uložené-3"},
    "sari": {"client_id": "1_id", "client_secret": "cs", "username": "api", "password": "pw"},
}
BEFORE = {
    "bakalari": ("https://skola.example.cz", {"username": "ucitel"}),
    "sari": (ENVIRONMENTS["test"], {"environment": "test"}),
}


@pytest.fixture
def twins(db):
    """A connection of `source` for each path, alike in all but their tenant."""

    def make(source: str) -> tuple[Connection, Connection]:
        base_url, options = BEFORE[source]
        return tuple(
            Connection.objects.create(
                tenant=Tenant.objects.create(name=slug.title(), slug=slug),
                source=source,
                base_url=base_url,
                options=options,
                secrets=STORED[source],
                session={"refresh_token": "stary-token"},
            )
            for slug in ("pres-formular", "pres-import")
        )

    return make


def through_the_form(client, connection: Connection, enabled: bool = True, **changes):
    """The connection's page posted back as shown, with `changes` made to its settings."""
    url = reverse("admin:tenants_connection_change", args=[connection.pk])
    page = client.get(url)
    data = {**as_posted(page.context["adminform"].form), **inlines_as_posted(page)}
    data.update({f"{connection.source}__{name}": value for name, value in changes.items()})
    if not enabled:
        data.pop("enabled")
    return client.post(url, data)


def through_an_import(client, connection: Connection, base_url: str, options: dict):
    row = [connection.tenant.slug, connection.source, "1", base_url, json.dumps(options)]
    text = "tenant,source,enabled,base_url,options\n" + ",".join(
        '"' + value.replace('"', '""') + '"' for value in row
    )
    return confirm(client, "tenants_connection", upload(client, "tenants_connection", text))


def state(connection: Connection) -> tuple:
    connection.refresh_from_db()
    return (
        connection.base_url,
        connection.options,
        connection.secrets,
        connection.session,
        connection.enabled,
        connection.secrets_changed_at is not None,
    )


def cleared(source: str) -> dict:
    """The form's boxes that clear each stored secret."""
    return {f"clear_{name}": "on" for name in STORED[source]}


@pytest.mark.parametrize(
    ("source", "typed", "imported"),
    [
        (
            "bakalari",
            {"base_url": "https://nova.example.cz/login"},
            ("https://nova.example.cz/login", {"username": "ucitel"}),
        ),
        ("sari", {"environment": "production"}, ("", {"environment": "production"})),
    ],
)
def test_a_move_leaves_the_same_connection_through_the_form_and_the_import(
    admin_client, twins, source, typed, imported
):
    by_form, by_import = twins(source)

    refused = through_the_form(admin_client, by_form, **typed)
    saved = through_the_form(admin_client, by_form, enabled=False, **typed, **cleared(source))
    through_an_import(admin_client, by_import, *imported)

    assert refused.status_code == 200  # the stored secrets are not sent to the new address
    assert saved.status_code == 302
    assert state(by_form) == state(by_import)
    base_url, _, *rest = state(by_import)
    assert base_url != BEFORE[source][0]
    assert rest == [{}, {}, False, True]  # no secret, no token, disabled, secrets changed


@pytest.mark.parametrize(
    ("address", "moves"),
    [
        ("https://skola.example.cz/login", False),
        ("HTTPS://SKOLA.example.cz/", False),
        ("https://skola.example.cz/bakalari", True),
        ("https://jina.example.cz", True),
    ],
)
def test_the_form_asks_for_the_password_again_exactly_when_the_import_drops_it(
    admin_client, twins, address, moves
):
    by_form, by_import = twins("bakalari")

    response = through_the_form(admin_client, by_form, base_url=address)
    through_an_import(admin_client, by_import, address, {"username": "ucitel"})

    asked = response.status_code == 200 and "bakalari__password" in (
        response.context["adminform"].form.errors
    )
    dropped = state(by_import)[2] == {}
    assert asked == dropped == moves
    if not moves:
        assert state(by_form) == state(by_import)
        assert state(by_form)[2:4] == (STORED["bakalari"], {"refresh_token": "stary-token"})
