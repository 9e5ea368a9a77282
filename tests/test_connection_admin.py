import pytest
from django.urls import reverse

from tenants.models import Connection
from tests.admin_pages import NO_ACCOUNTS

SECRET = "s3cr3t-Heslo-řžč"


@pytest.fixture
def connection(make_connection):
    return make_connection()


def change_url(connection):
    return reverse("admin:tenants_connection_change", args=[connection.pk])


def post_bakalari(client, connection, **overrides):
    data = {
        "tenant": connection.tenant.pk,
        "enabled": "on",
        "bakalari__base_url": "https://skola.example.cz/login",
        "bakalari__username": "ucitel",
        "bakalari__password": "",
        **NO_ACCOUNTS,
    }
    data.update(overrides)
    return client.post(change_url(connection), {k: v for k, v in data.items() if v is not None})


def test_the_change_page_never_renders_a_stored_secret(admin_client, connection):
    page = admin_client.get(change_url(connection)).content.decode()
    assert SECRET not in page
    assert "Stored. Leave blank to keep it" in page


def test_the_changelist_never_renders_a_stored_secret(admin_client, connection):
    page = admin_client.get(reverse("admin:tenants_connection_changelist")).content.decode()
    assert connection.tenant.name in page
    assert SECRET not in page


def test_a_blank_secret_keeps_the_stored_value(admin_client, connection):
    response = post_bakalari(admin_client, connection)
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.secrets == {"password": SECRET}
    assert connection.base_url == "https://skola.example.cz"


def test_a_typed_secret_replaces_the_stored_value_and_drops_old_tokens(admin_client, connection):
    connection.session = {"refresh_token": "old"}
    connection.save()
    post_bakalari(admin_client, connection, bakalari__password="nové-heslo")
    connection.refresh_from_db()
    assert connection.secrets == {"password": "nové-heslo"}
    assert connection.session == {}
    assert connection.secrets_changed_at is not None


def test_clearing_a_required_secret_needs_the_connection_disabled(admin_client, connection):
    response = post_bakalari(admin_client, connection, bakalari__clear_password="on")
    assert response.status_code == 200
    assert "Required while the connection is enabled" in response.content.decode()
    connection.refresh_from_db()
    assert connection.secrets == {"password": SECRET}

    post_bakalari(admin_client, connection, bakalari__clear_password="on", enabled=None)
    connection.refresh_from_db()
    assert connection.secrets == {}
    assert not connection.enabled


def test_a_form_with_errors_does_not_echo_the_typed_secret(admin_client, connection):
    response = post_bakalari(
        admin_client, connection, bakalari__base_url="ftp://x", bakalari__password="typed-Secret-9"
    )
    assert response.status_code == 200
    assert "typed-Secret-9" not in response.content.decode()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://skola.example.cz", "Only https:// addresses are supported, not ftp://"),
        ("http://skola.example.cz", "Plain http:// is not allowed"),
        ("https://192.168.1.10/bakalari", "local or private network address"),
        ("https://localhost:8080", "local or private network address"),
        ("https://user:pw@skola.example.cz", "Do not put a username or password"),
        ("https://skola.example.cz:99999", "not a valid web address"),
        ("", "This field is required"),
    ],
)
def test_a_bad_base_url_gets_a_field_error_saying_what_is_wrong(
    admin_client, connection, settings, url, message
):
    settings.SYNC_ALLOW_INSECURE_URLS = False
    response = post_bakalari(admin_client, connection, bakalari__base_url=url)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors["bakalari__base_url"])
    connection.refresh_from_db()
    assert connection.base_url == "https://skola.example.cz"


def test_adding_a_sari_connection_with_a_custom_url(admin_client, tenant, settings):
    settings.SYNC_ALLOW_INSECURE_URLS = True
    response = admin_client.post(
        reverse("admin:tenants_connection_add"),
        {
            "tenant": tenant.pk,
            "source": "sari",
            "enabled": "on",
            "sari__environment": "custom",
            "sari__base_url": "http://127.0.0.1:8765/sari/oauth/v2/token?x=1",
            "sari__client_id": "1_abc",
            "sari__client_secret": "cs+/=",
            "sari__username": "api-user",
            "sari__password": "pw",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    connection = Connection.objects.get(tenant=tenant, source="sari")
    assert connection.base_url == "http://127.0.0.1:8765/sari"
    assert connection.options == {"environment": "custom"}
    assert connection.secrets["client_secret"] == "cs+/="


def test_a_half_filled_sari_form_names_each_missing_secret(admin_client, tenant):
    response = admin_client.post(
        reverse("admin:tenants_connection_add"),
        {"tenant": tenant.pk, "source": "sari", "enabled": "on", "sari__environment": "test"},
    )
    errors = response.context["adminform"].form.errors
    for name in ("client_id", "client_secret", "username", "password"):
        assert f"sari__{name}" in errors
    assert not Connection.objects.exists()


def test_a_changed_address_needs_the_stored_password_typed_again(admin_client, connection):
    response = post_bakalari(admin_client, connection, bakalari__base_url="https://evil.example")
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["bakalari__password"] == [
        "The address changed: type the password again. "
        "A stored password is never sent to a new address."
    ]
    connection.refresh_from_db()
    assert connection.base_url == "https://skola.example.cz"


def test_a_changed_address_with_the_password_typed_again_drops_the_old_servers_tokens(
    admin_client, connection
):
    connection.session = {"refresh_token": "old"}
    connection.save()
    response = post_bakalari(
        admin_client,
        connection,
        bakalari__base_url="https://nova.example.cz/login",
        bakalari__password=SECRET,
    )
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.base_url == "https://nova.example.cz"
    assert connection.secrets == {"password": SECRET}
    assert connection.session == {}


def test_a_changed_address_may_clear_the_stored_password_instead(admin_client, connection):
    response = post_bakalari(
        admin_client,
        connection,
        enabled=None,
        bakalari__base_url="https://nova.example.cz",
        bakalari__clear_password="on",
    )
    assert response.status_code == 302
    connection.refresh_from_db()
    assert (connection.base_url, connection.secrets) == ("https://nova.example.cz", {})


def test_another_sari_environment_needs_every_stored_secret_typed_again(
    admin_client, make_connection
):
    stored = {"client_id": "1_id", "client_secret": "cs", "username": "api", "password": "pw"}
    connection = make_connection(
        source="sari",
        base_url="https://sari-v4-test.ky2help.com",
        options={"environment": "test"},
        secrets=stored,
    )
    response = admin_client.post(
        change_url(connection),
        {"tenant": connection.tenant.pk, "enabled": "on", "sari__environment": "production"},
    )
    errors = response.context["adminform"].form.errors
    assert "type the client ID again" in errors["sari__client_id"][0]
    assert "type the API password again" in errors["sari__password"][0]
    assert set(errors) == {f"sari__{name}" for name in stored}
    connection.refresh_from_db()
    assert connection.options == {"environment": "test"}


def test_a_form_with_errors_asks_for_the_typed_secret_again(admin_client, connection):
    response = post_bakalari(
        admin_client, connection, bakalari__base_url="ftp://x", bakalari__password="typed-Secret-9"
    )
    errors = response.context["adminform"].form.errors
    assert "Not kept, for safety" in errors["bakalari__password"][0]
    page = response.content.decode()
    row, field = page.index("field-bakalari__password"), page.index('name="bakalari__password"')
    assert row < page.index("Not kept, for safety") < field  # on the field, where it is retyped
