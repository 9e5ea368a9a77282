"""A connection's further accounts in the admin: added one by one, write-only, tested each."""

import pytest
from django.urls import reverse

from sync.sources.bakalari import dataset
from tenants.models import Account
from tests.admin_pages import as_posted, inlines_as_posted

pytestmark = pytest.mark.django_db

PREFIX = "accounts"


def change_url(connection) -> str:
    return reverse("admin:tenants_connection_change", args=[connection.pk])


def page_as_posted(admin_client, connection) -> dict:
    page = admin_client.get(change_url(connection))
    return {**as_posted(page.context["adminform"].form), **inlines_as_posted(page)}


def add_row(data: dict, index: int, username: str, password: str, enabled=True) -> dict:
    data[f"{PREFIX}-{index}-username"] = username
    data[f"{PREFIX}-{index}-password"] = password
    if enabled:
        data[f"{PREFIX}-{index}-enabled"] = "on"
    else:
        data.pop(f"{PREFIX}-{index}-enabled", None)
    return data


def test_the_bakalari_page_offers_further_accounts_and_saris_does_not(admin_client, served):
    bakalari = served.connect("skola")
    sari = served.connect("skola", source="sari")
    assert "Further accounts" in admin_client.get(change_url(bakalari)).content.decode()
    assert "Further accounts" not in admin_client.get(change_url(sari)).content.decode()


def test_an_account_added_keeps_its_password_encrypted_and_never_shows_it(admin_client, served):
    connection = served.connect("skola")
    data = add_row(page_as_posted(admin_client, connection), 0, *dataset.DEMO_ACCOUNTS[1])

    response = admin_client.post(change_url(connection), data, follow=True)

    assert response.status_code == 200
    account = Account.objects.get(connection=connection)
    assert account.username == dataset.TEACHER_USERNAME
    assert account.secrets == {"password": dataset.TEACHER_PASSWORD}
    page = admin_client.get(change_url(connection)).content.decode()
    assert dataset.TEACHER_PASSWORD not in page
    assert "Stored. Leave blank to keep it" in page

    resaved = admin_client.post(change_url(connection), page_as_posted(admin_client, connection))
    assert resaved.status_code == 302
    account.refresh_from_db()
    assert account.secrets == {"password": dataset.TEACHER_PASSWORD}  # blank kept it


def test_an_enabled_account_without_a_password_is_refused_in_one_line(admin_client, served):
    connection = served.connect("skola")
    data = add_row(page_as_posted(admin_client, connection), 0, "kral", "")

    response = admin_client.post(change_url(connection), data)

    assert response.status_code == 200
    assert "Required while the connection is enabled" in response.content.decode()
    assert not Account.objects.exists()


def test_a_renamed_account_needs_its_password_again(admin_client, served):
    connection = served.connect("skola")
    Account.objects.create(connection=connection, username="kral", secrets={"password": "x1234"})
    data = page_as_posted(admin_client, connection)
    data[f"{PREFIX}-0-username"] = "jiny"

    response = admin_client.post(change_url(connection), data)

    assert response.status_code == 200
    assert "The username changed: type its password again." in response.content.decode()
    assert Account.objects.get().secrets == {"password": "x1234"}


def test_moving_the_connection_leaves_its_accounts_secrets_behind(admin_client, served):
    connection = served.connect("skola")
    Account.objects.create(
        connection=connection, username="kral", secrets={"password": "x1234"}, session={"a": "b"}
    )
    data = page_as_posted(admin_client, connection)
    data["bakalari__base_url"] = "https://jina-skola.bakalari.cz"
    data["bakalari__password"] = "nove-heslo"

    response = admin_client.post(change_url(connection), data)

    assert response.status_code == 302, [
        f.errors
        for f in [
            response.context["adminform"].form,
            *response.context["inline_admin_formsets"][0].formset.forms,
        ]
    ]
    account = Account.objects.get()
    assert (account.secrets, account.session, account.enabled) == ({}, {}, False)
    page = admin_client.get(response.url).content.decode()
    assert "the further accounts&#x27; passwords stayed with the old address" in page


def test_a_move_refused_for_another_field_keeps_the_accounts_secrets(admin_client, served):
    connection = served.connect("skola")
    Account.objects.create(connection=connection, username="kral", secrets={"password": "x1234"})
    data = page_as_posted(admin_client, connection)
    data["bakalari__base_url"] = "https://jina-skola.bakalari.cz"
    data["bakalari__password"] = "nove-heslo"
    data["bakalari__username"] = ""  # refused: required

    response = admin_client.post(change_url(connection), data)

    assert response.status_code == 200
    account = Account.objects.get()
    assert (account.secrets, account.enabled) == ({"password": "x1234"}, True)


def test_test_connection_tests_each_account_and_names_the_one_that_failed(admin_client, served):
    connection = served.connect("skola")
    Account.objects.create(
        connection=connection,
        username=dataset.TEACHER_USERNAME,
        secrets={"password": dataset.TEACHER_PASSWORD},
    )
    Account.objects.create(connection=connection, username="kral", secrets={"password": "wrong1"})

    response = admin_client.post(
        reverse("admin:tenants_connection_test", args=[connection.pk]), follow=True
    )

    text = response.content.decode()
    assert f"account {dataset.TEACHER_USERNAME} succeeded" in text
    assert "account kral failed" in text
    assert "wrong1" not in text
    failed = Account.objects.get(username="kral")
    assert failed.last_test_ok is False and "failed" in failed.last_test_result


def test_another_tenants_staff_cannot_reach_the_accounts(client, served, django_user_model):
    connection = served.connect("skola")
    Account.objects.create(connection=connection, username="kral", secrets={"password": "x1234"})
    theirs = served.connect("jina")
    other = theirs.tenant
    user = django_user_model.objects.create_user("jiny", password="pw-123456", is_staff=True)
    user.user_permissions.add(
        *__import__(
            "django.contrib.auth.models", fromlist=["Permission"]
        ).Permission.objects.filter(codename__in=["view_connection", "change_connection"])
    )
    other.staff.add(user)
    client.force_login(user)

    refused = client.get(change_url(connection))
    assert (refused.status_code, refused.url) == (302, "/admin/")  # as for one that is not there
    assert "kral" not in client.get(change_url(theirs)).content.decode()
