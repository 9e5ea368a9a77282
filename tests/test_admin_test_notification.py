""" "Send a test notification": to the selected tenants' contacts, or to the operator's.

Each says where the message went, or each failure in its own sentence; a tenant member may test
their own tenants' contacts, only a superuser the operator's.
"""

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse

from sync.alerts.channels import TEST_SUBJECT
from tenants.models import Tenant

CHANGELIST = reverse("admin:tenants_tenant_changelist")
TOKEN = "Tajny-Token-Kanalu-5150"
SCHOOL = "Gymnázium Příkladová"


def act(client: Client, action: str, *tenants: Tenant):
    return client.post(
        CHANGELIST, {"action": action, "_selected_action": [t.pk for t in tenants]}, follow=True
    )


def said(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def channel(webhook_receiver) -> str:
    return webhook_receiver.url.replace("http://", "json://") + f"/hooks/{TOKEN}"


def offered(client: Client) -> set[str]:
    form = client.get(CHANGELIST).context["action_form"]
    return {name for name, _ in form.fields["action"].choices} if form else set()


@pytest.fixture
def contacts_of(smtp_server, webhook_receiver):
    def give(tenant: Tenant) -> Tenant:
        tenant.alert_emails = "ops@example.cz\nreditel@skola.cz"
        tenant.alert_urls = {"urls": [channel(webhook_receiver)]}
        tenant.save()
        return tenant

    return give


def member_of(tenant: Tenant, *codenames: str) -> Client:
    user = User.objects.create_user("clen", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    tenant.staff.add(user)
    client = Client()
    client.force_login(user)
    return client


def test_a_tenants_test_reaches_its_addresses_and_channels(
    admin_client, tenant, contacts_of, smtp_server, webhook_receiver
):
    response = act(admin_client, "notify_tenant_contacts", contacts_of(tenant))

    assert said(response) == [
        ("success", f"Test notification for {SCHOOL} sent to 2 e-mail addresses and 1 channel.")
    ]
    assert [m["To"] for m in smtp_server.messages] == ["ops@example.cz", "reditel@skola.cz"]
    assert smtp_server.messages[0]["Subject"] == TEST_SUBJECT
    assert SCHOOL in smtp_server.messages[0].get_content()
    ((path, _, body),) = webhook_receiver.posts
    assert (path, body["title"]) == (f"/hooks/{TOKEN}", TEST_SUBJECT)


def test_each_failure_of_a_tenants_test_is_an_error_of_its_own(
    admin_client, tenant, contacts_of, smtp_server, webhook_receiver
):
    smtp_server.stop()
    webhook_receiver.status = 500
    port = webhook_receiver.url.rsplit(":", 1)[1]

    response = act(admin_client, "notify_tenant_contacts", contacts_of(tenant))

    assert said(response) == [
        (
            "error",
            f"Test notification for {SCHOOL}: E-mail to ops@example.cz, reditel@skola.cz: "
            f"the mail server at 127.0.0.1:{smtp_server.port} refused the connection.",
        ),
        (
            "error",
            f"Test notification for {SCHOOL}: Channel json://127.0.0.1:{port}: answered HTTP 500.",
        ),
    ]
    assert TOKEN not in response.content.decode()


def test_a_tenant_without_contacts_says_so(admin_client, tenant):
    response = act(admin_client, "notify_tenant_contacts", tenant)
    assert said(response) == [
        ("warning", f"{SCHOOL} has no alert contacts: add some under “Alerts” on its page.")
    ]


def test_the_operators_test_reaches_the_operators_contacts_only(
    admin_client, tenant, contacts_of, smtp_server, webhook_receiver, settings
):
    settings.SYNC_ALERT_EMAILS = ["operator@example.cz"]
    settings.SYNC_ALERT_URLS = [webhook_receiver.url.replace("http://", "json://") + "/operator"]

    response = act(admin_client, "notify_operator_contacts", contacts_of(tenant))

    assert said(response) == [
        ("success", "Test notification for the operator sent to 1 e-mail address and 1 channel.")
    ]
    assert [m["To"] for m in smtp_server.messages] == ["operator@example.cz"]
    assert [path for path, _, _ in webhook_receiver.posts] == ["/operator"]


def test_an_operator_without_contacts_is_told_what_to_set(admin_client, tenant, settings):
    settings.SYNC_ALERT_EMAILS, settings.SYNC_ALERT_URLS = [], []
    response = act(admin_client, "notify_operator_contacts", tenant)
    assert said(response) == [
        (
            "warning",
            "The operator has no alert contacts: set SYNC_ALERT_EMAILS or SYNC_ALERT_URLS.",
        )
    ]


def test_a_member_may_test_their_own_tenants_contacts_but_not_the_operators(
    tenant, contacts_of, smtp_server, settings
):
    settings.SYNC_ALERT_EMAILS = ["operator@example.cz"]
    member = member_of(contacts_of(tenant), "view_tenant", "change_tenant")

    assert "notify_tenant_contacts" in offered(member)
    assert "notify_operator_contacts" not in offered(member)
    act(member, "notify_operator_contacts", tenant)
    assert smtp_server.messages == []
    act(member, "notify_tenant_contacts", tenant)
    assert len(smtp_server.messages) == 2


def test_a_member_who_may_only_look_is_offered_neither(tenant):
    member = member_of(tenant, "view_tenant")
    assert not offered(member) & {"notify_tenant_contacts", "notify_operator_contacts"}


def test_a_member_never_tests_another_tenants_contacts(tenant, contacts_of, smtp_server):
    other = contacts_of(Tenant.objects.create(name="Jiná škola", slug="jina"))
    member = member_of(tenant, "view_tenant", "change_tenant")

    act(member, "notify_tenant_contacts", other)

    assert smtp_server.messages == []
