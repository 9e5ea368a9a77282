"""The tenant page and its connection forms, posted as a browser posts them.

A school connects to Bakaláři, a driving school to SARI: the page offers what fits the tenant's
kind, leaves a connection form nobody filled in alone, and a read-only page says what is set.
"""

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse

from sync.sources import registry
from tenants.models import Connection, Tenant
from tests.admin_pages import as_posted, inlines_as_posted

PASSWORD = "Nové-Heslo-Řeřicha-7"
ADD = reverse("admin:tenants_tenant_add")


def change_url(tenant: Tenant) -> str:
    return reverse("admin:tenants_tenant_change", args=[tenant.pk])


def posted(page) -> dict:
    """The whole page as a browser posts it back untouched."""
    return {**as_posted(page.context["adminform"].form), **inlines_as_posted(page)}


def offered(page) -> list[str]:
    return [inline.opts.source.slug for inline in page.context["inline_admin_formsets"]]


def typed(page, slug: str, **values) -> dict:
    """`values` typed into the connection form of source `slug`."""
    (inline,) = [i for i in page.context["inline_admin_formsets"] if i.opts.source.slug == slug]
    form = inline.formset.forms[0]
    return {form.add_prefix(f"{slug}__{name}"): value for name, value in values.items()}


def errors(response) -> list:
    if response.status_code != 200:
        return []
    inlines = response.context["inline_admin_formsets"]
    formsets = [i.formset for i in inlines]
    return [response.context["adminform"].form.errors] + [
        (f.non_form_errors(), f.errors) for f in formsets
    ]


def bakalari_typed(page) -> dict:
    return typed(
        page,
        "bakalari",
        base_url="https://nova.example.cz/login",
        username="ucitel",
        password=PASSWORD,
    )


@pytest.fixture
def driving_school(db):
    return Tenant.objects.create(
        name="Autoškola Příkladová", slug="autoskola", kind=Tenant.Kind.DRIVING_SCHOOL
    )


# Saving


def test_a_new_school_is_saved_with_its_bakalari_connection(admin_client, db):
    page = admin_client.get(ADD)
    data = {**posted(page), "name": "Nová škola", "slug": "nova", **bakalari_typed(page)}

    response = admin_client.post(ADD, data)

    assert response.status_code == 302, errors(response)
    (connection,) = Connection.objects.filter(tenant__slug="nova")
    assert connection.source == "bakalari"
    assert connection.base_url == "https://nova.example.cz"
    assert connection.secrets == {"password": PASSWORD}


def test_a_school_is_edited_with_its_bakalari_connection(admin_client, make_connection):
    tenant = make_connection().tenant
    page = admin_client.get(change_url(tenant))
    data = {**posted(page), "name": "Gymnázium Nové", **typed(page, "bakalari", password=PASSWORD)}

    response = admin_client.post(change_url(tenant), data)

    assert response.status_code == 302, errors(response)
    tenant.refresh_from_db()
    assert tenant.name == "Gymnázium Nové"
    (connection,) = tenant.connections.all()
    assert connection.secrets == {"password": PASSWORD}


def test_a_driving_school_is_saved_before_its_sari_connection_is_filled_in(
    admin_client, driving_school
):
    page = admin_client.get(change_url(driving_school))

    response = admin_client.post(change_url(driving_school), {**posted(page), "active": ""})

    assert response.status_code == 302, errors(response)
    driving_school.refresh_from_db()
    assert not driving_school.active
    assert not driving_school.connections.exists()


def test_unticking_enabled_alone_adds_no_connection(admin_client, db):
    page = admin_client.get(ADD)
    data = {**posted(page), "name": "Nová škola", "slug": "nova"}
    del data[page.context["inline_admin_formsets"][0].formset.forms[0].add_prefix("enabled")]

    response = admin_client.post(ADD, data)

    assert response.status_code == 302, errors(response)
    assert not Connection.objects.exists()


def test_a_half_filled_connection_form_is_still_checked(admin_client, db):
    page = admin_client.get(ADD)
    data = {**posted(page), "name": "Nová škola", "slug": "nova"}
    data.update(typed(page, "bakalari", username="ucitel"))

    response = admin_client.post(ADD, data)

    assert response.status_code == 200
    (form_errors,) = response.context["inline_admin_formsets"][0].formset.errors
    assert "This field is required." in form_errors["bakalari__base_url"]
    assert "Required while the connection is enabled" in form_errors["bakalari__password"][0]
    assert not Tenant.objects.exists()


# What the page offers


@pytest.mark.parametrize(
    ("kind", "connected", "expected"),
    [
        (Tenant.Kind.SCHOOL, [], ["bakalari"]),
        (Tenant.Kind.DRIVING_SCHOOL, [], ["sari"]),
        (Tenant.Kind.SCHOOL, ["sari"], ["bakalari", "sari"]),
    ],
)
def test_a_tenant_page_offers_the_sources_that_fit_its_kind(
    admin_client, db, kind, connected, expected
):
    tenant = Tenant.objects.create(name="Příkladová", slug="priklad", kind=kind)
    for source in connected:
        Connection.objects.create(tenant=tenant, source=source)

    assert offered(admin_client.get(change_url(tenant))) == expected


def test_a_new_tenants_page_offers_the_sources_of_the_kind_asked_for(admin_client, db):
    assert offered(admin_client.get(ADD)) == ["bakalari"]
    page = admin_client.get(ADD, {"kind": Tenant.Kind.DRIVING_SCHOOL, "name": "Autoškola Nová"})
    assert offered(page) == ["sari"]
    data = posted(page)
    assert data["slug"] == "autoskola-nova", "a slug the browser had not derived yet"
    data.update(
        typed(
            page,
            "sari",
            environment="test",
            client_id="1_abc",
            client_secret="cs",
            username="api",
            password=PASSWORD,
        )
    )

    response = admin_client.post(f"{ADD}?kind=driving_school", data)

    assert response.status_code == 302, errors(response)
    tenant = Tenant.objects.get(slug="autoskola-nova")
    assert (tenant.name, tenant.kind) == ("Autoškola Nová", Tenant.Kind.DRIVING_SCHOOL)
    (connection,) = tenant.connections.all()
    assert (connection.source, connection.secrets["password"]) == ("sari", PASSWORD)


def test_a_school_page_links_to_connecting_it_to_another_source(admin_client, make_connection):
    tenant = make_connection().tenant
    (link,) = admin_client.get(change_url(tenant)).context["other_sources"]
    assert link[0] == "SARI"

    form = admin_client.get(link[1]).context["adminform"].form

    assert form.initial == {"tenant": str(tenant.pk), "source": "sari"}


def test_a_page_posted_after_its_tenant_changed_kind_is_refused(admin_client, db):
    tenant = Tenant.objects.create(name="Příkladová", slug="priklad")
    page = admin_client.get(change_url(tenant))
    Tenant.objects.filter(pk=tenant.pk).update(kind=Tenant.Kind.DRIVING_SCHOOL)  # meanwhile

    response = admin_client.post(change_url(tenant), {**posted(page), **bakalari_typed(page)})

    assert response.status_code == 200
    assert "ManagementForm data is missing" in str(errors(response))
    assert not tenant.connections.exists()


def test_every_source_serves_a_kind_of_tenant():
    for source in registry.all_sources():
        assert source.tenant_kinds, source.slug
        assert set(source.tenant_kinds) <= set(Tenant.Kind.values), source.slug


# Read-only pages


def member_who_may_only_look(tenant: Tenant, *extra: str) -> Client:
    user = User.objects.create_user("viktor", is_staff=True)
    codenames = ["view_tenant", "view_connection", *extra]
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    tenant.staff.add(user)
    client = Client()
    client.force_login(user)
    return client


def rows_shown(admin_form) -> dict[str, str]:
    """Label -> what a read-only admin form shows."""
    return {
        field.field["label"]: str(field.contents())
        for fieldset in admin_form
        for line in fieldset
        for field in line
        if field.is_readonly
    }


@pytest.fixture
def connected(make_connection):
    """A school on Bakaláři, and on SARI's test environment with only its client ID stored."""
    bakalari = make_connection()
    make_connection(
        source="sari",
        base_url="https://sari-v4-test.ky2help.com",
        options={"environment": "test"},
        secrets={"client_id": "1_abc"},
    )
    return bakalari.tenant


# Without the right to change the tenant the admin shows its connections read-only, even to a
# member who may change connections on their own page.
@pytest.mark.parametrize("extra", [[], ["change_connection"]])
def test_a_read_only_tenant_page_shows_the_settings_and_which_secrets_are_stored(connected, extra):
    page = member_who_may_only_look(connected, *extra).get(change_url(connected))

    bakalari, sari = (rows_shown(form) for i in page.context["inline_admin_formsets"] for form in i)
    assert bakalari["School address"] == "https://skola.example.cz"
    assert bakalari["Username"] == "ucitel"
    assert bakalari["Password"] == "stored"
    assert sari["Environment"] == "Test"
    assert (sari["Client ID"], sari["Client secret"], sari["API password"]) == (
        "stored",
        "not set",
        "not set",
    )
    assert "None" not in [*bakalari.values(), *sari.values()]
    assert "s3cr3t-Heslo-řžč" not in page.content.decode()


def test_a_read_only_connection_page_shows_the_settings_and_which_secrets_are_stored(connected):
    sari = connected.connections.get(source="sari")
    url = reverse("admin:tenants_connection_change", args=[sari.pk])

    page = member_who_may_only_look(connected).get(url)

    rows = rows_shown(page.context["adminform"])
    assert (rows["Environment"], rows["Client ID"], rows["Client secret"]) == (
        "Test",
        "stored",
        "not set",
    )
    assert "1_abc" not in page.content.decode()
