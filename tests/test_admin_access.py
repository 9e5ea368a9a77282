"""Who may see and do what in the admin, told with a small cast.

Alice belongs to Gymnázium A and may do everything there; Viktor belongs to A too but may only
look; the superuser sees all. Tenant B is never Alice's or Viktor's: not by page, not by URL.
"""

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse

from sync.models import ExternalRef, SyncRun
from sync.run import lease
from sync.sources import registry
from sync.sources.bakalari.models import Pupil
from tenants.models import Connection, Tenant

VIEW = [
    "view_tenant",
    "view_connection",
    "view_syncrun",
    "view_externalref",
    "view_pupil",
]
MANAGE = [*VIEW, "change_tenant", "add_connection", "change_connection"]
ALL = [*MANAGE, "run_sync", "test_connection"]


def staff_of(tenant: Tenant, username: str, codenames: list[str]) -> User:
    user = User.objects.create_user(username, is_staff=True)  # no password: logged in directly
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    tenant.staff.add(user)
    return user


def client_of(user: User, **options) -> Client:
    client = Client(**options)
    client.force_login(user)
    return client


@pytest.fixture
def tenant_a(db):
    return Tenant.objects.create(name="Gymnázium A", slug="gym-a")


@pytest.fixture
def tenant_b(db):
    return Tenant.objects.create(name="Gymnázium B", slug="gym-b")


def connect(tenant: Tenant) -> Connection:
    return Connection.objects.create(
        tenant=tenant,
        source="bakalari",
        base_url=f"https://{tenant.slug}.example.cz",
        options={"username": "ucitel"},
        secrets={"password": "Heslo-123"},
    )


def mirror(connection: Connection) -> SyncRun:
    """A run and a mirrored pupil, as a sync of `connection` would leave them."""
    Pupil.objects.create(
        tenant=connection.tenant, external_id="P1", name=f"Žák {connection.tenant.slug}"
    )
    ExternalRef.objects.create(
        tenant=connection.tenant,
        source="bakalari",
        kind="pupil",
        external_id=f"ref-{connection.tenant.slug}",
        content_type_id=1,
        object_id=1,
        checksum="x",
        first_seen_at="2026-01-01T00:00Z",
        last_seen_at="2026-01-01T00:00Z",
        last_changed_at="2026-01-01T00:00Z",
    )
    return SyncRun.objects.create(
        connection=connection, trigger="cron", status="failed", error_message="chyba"
    )


@pytest.fixture
def world(tenant_a, tenant_b):
    """Both tenants with a connection, a run and mirrored rows; who is who."""
    a, b = connect(tenant_a), connect(tenant_b)
    return {
        "a": a,
        "b": b,
        "run_a": mirror(a),
        "run_b": mirror(b),
        "alice": staff_of(tenant_a, "alice", ALL),
        "viktor": staff_of(tenant_a, "viktor", VIEW),
    }


def no_inline_changes() -> dict:
    """The management data of the tenant page's per-source connection forms, with no forms."""
    data = {}
    for source in registry.all_sources():
        prefix = f"connections-{source.slug}"
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    return data


def admin_url(name: str, *args) -> str:
    return reverse(f"admin:{name}", args=args)


LISTS = [
    "tenants_tenant_changelist",
    "tenants_connection_changelist",
    "sync_syncrun_changelist",
    "sync_externalref_changelist",
    "bakalari_pupil_changelist",
]


# Tenant scope


@pytest.mark.parametrize("list_name", LISTS)
def test_a_member_lists_only_her_tenants_rows(world, list_name):
    page = client_of(world["alice"]).get(admin_url(list_name)).content.decode()
    assert "gym-a" in page or "Gymnázium A" in page
    assert "gym-b" not in page and "Gymnázium B" not in page


def test_the_tenant_filter_offers_only_her_tenants(world):
    response = client_of(world["alice"]).get(admin_url("sync_syncrun_changelist"))
    (tenant_filter,) = [f for f in response.context["cl"].filter_specs if f.title == "tenant"]
    assert [name for _, name in tenant_filter.lookup_choices] == ["Gymnázium A"]


def test_a_member_cannot_filter_her_way_into_another_tenant(world):
    response = client_of(world["alice"]).get(
        admin_url("sync_syncrun_changelist"), {"tenant": world["b"].tenant_id}
    )
    assert response.context["cl"].result_count == 0


@pytest.mark.parametrize(
    "change_page",
    [
        lambda w: admin_url("tenants_tenant_change", w["b"].tenant_id),
        lambda w: admin_url("tenants_connection_change", w["b"].pk),
        lambda w: admin_url("sync_syncrun_change", w["run_b"].pk),
    ],
)
def test_another_tenants_pages_do_not_exist_for_a_member(world, change_page):
    response = client_of(world["alice"]).get(change_page(world))
    assert response.status_code == 302
    assert response["Location"] == admin_url("index")


@pytest.mark.parametrize(
    "button",
    [
        lambda w: admin_url("tenants_connection_test", w["b"].pk),
        lambda w: admin_url("tenants_connection_sync", w["b"].pk),
        lambda w: admin_url("tenants_tenant_test", w["b"].tenant_id),
        lambda w: admin_url("tenants_tenant_sync", w["b"].tenant_id),
    ],
)
def test_a_member_cannot_test_or_sync_another_tenant_by_url(world, button):
    response = client_of(world["alice"]).post(button(world))
    assert response.status_code == 404
    world["b"].refresh_from_db()
    assert world["b"].last_tested_at is None
    assert SyncRun.objects.filter(connection=world["b"]).count() == 1


def test_a_member_cannot_sync_another_tenant_with_an_action(world):
    client_of(world["alice"]).post(
        admin_url("tenants_connection_changelist"),
        {"action": "sync_selected", "_selected_action": [world["b"].pk]},
    )
    assert SyncRun.objects.filter(connection=world["b"]).count() == 1


def test_a_member_cannot_poll_another_tenants_run(world):
    response = client_of(world["alice"]).get(
        admin_url("sync_syncrun_progress"), {"id": [world["run_a"].pk, world["run_b"].pk]}
    )
    assert [run["id"] for run in response.json()["runs"]] == [str(world["run_a"].pk)]


def test_a_member_cannot_add_a_connection_to_another_tenant(world, settings):
    settings.SYNC_ALLOW_INSECURE_URLS = False
    response = client_of(world["alice"]).post(
        admin_url("tenants_connection_add"),
        {
            "tenant": world["b"].tenant_id,
            "source": "sari",
            "enabled": "on",
            "sari__environment": "test",
            "sari__client_id": "id",
            "sari__client_secret": "secret",
            "sari__username": "user",
            "sari__password": "pw",
        },
    )
    assert "tenant" in response.context["adminform"].form.errors
    assert not Connection.objects.filter(source="sari").exists()


def test_a_member_cannot_hand_out_membership_of_her_tenant(world):
    stranger = User.objects.create_user("stranger", is_staff=True)
    response = client_of(world["alice"]).post(
        admin_url("tenants_tenant_change", world["a"].tenant_id),
        {
            "name": "Gymnázium A Příkladová",
            "slug": "gym-a",
            "kind": "school",
            "active": "on",
            "staff": [stranger.pk],
            **no_inline_changes(),
        },
    )
    # Membership is read-only for her: the page saves what she may change and ignores the rest.
    assert response.status_code == 302
    tenant = Tenant.objects.get(pk=world["a"].tenant_id)
    assert tenant.name == "Gymnázium A Příkladová"
    assert sorted(tenant.staff.values_list("username", flat=True)) == ["alice", "viktor"]


def test_a_member_cannot_add_tenants(world):
    response = client_of(world["alice"]).get(admin_url("tenants_tenant_add"))
    assert response.status_code == 403


def test_staff_of_no_tenant_sees_nothing(world):
    loner = User.objects.create_user("loner", is_staff=True)
    loner.user_permissions.add(*Permission.objects.filter(codename__in=ALL))
    for list_name in LISTS:
        response = client_of(loner).get(admin_url(list_name))
        assert response.context["cl"].result_count == 0, list_name


def test_the_superuser_sees_every_tenant(world, admin_client):
    for list_name in LISTS:
        page = admin_client.get(admin_url(list_name)).content.decode()
        assert "gym-a" in page or "Gymnázium A" in page, list_name
        assert "gym-b" in page or "Gymnázium B" in page, list_name


# Permissions to run syncs and test connections


def test_with_both_permissions_the_buttons_are_there(world):
    page = client_of(world["alice"]).get(admin_url("tenants_connection_change", world["a"].pk))
    html = page.content.decode()
    assert admin_url("tenants_connection_test", world["a"].pk) in html
    assert admin_url("tenants_connection_sync", world["a"].pk) in html
    assert 'name="_saveandtest"' in html


@pytest.mark.parametrize("model", ["connection", "tenant"])
def test_without_the_permissions_the_buttons_are_hidden(world, model):
    pk = world["a"].pk if model == "connection" else world["a"].tenant_id
    html = client_of(world["viktor"]).get(admin_url(f"tenants_{model}_change", pk)).content
    assert admin_url(f"tenants_{model}_test", pk) not in html.decode()
    assert admin_url(f"tenants_{model}_sync", pk) not in html.decode()
    assert b"_saveandtest" not in html
    assert b"Sync history" in html


@pytest.mark.parametrize(
    "button",
    [
        lambda w: admin_url("tenants_connection_test", w["a"].pk),
        lambda w: admin_url("tenants_connection_sync", w["a"].pk),
        lambda w: admin_url("tenants_tenant_test", w["a"].tenant_id),
        lambda w: admin_url("tenants_tenant_sync", w["a"].tenant_id),
    ],
)
def test_without_the_permissions_the_urls_answer_403(world, button):
    response = client_of(world["viktor"]).post(button(world))
    assert response.status_code == 403
    assert SyncRun.objects.filter(connection=world["a"]).count() == 1


def test_save_and_test_without_the_test_permission_answers_403(world):
    world["viktor"].user_permissions.add(Permission.objects.get(codename="change_connection"))
    response = client_of(world["viktor"]).post(
        admin_url("tenants_connection_change", world["a"].pk),
        {"tenant": world["a"].tenant_id, "enabled": "on", "_saveandtest": "1"},
    )
    assert response.status_code == 403


def test_without_the_permissions_the_actions_are_not_offered(world):
    for user, offered in ((world["viktor"], False), (world["alice"], True)):
        response = client_of(user).get(admin_url("tenants_connection_changelist"))
        form = response.context["action_form"]  # None when no action is offered at all
        actions = {name for name, _ in form.fields["action"].choices} if form else set()
        assert ("sync_selected" in actions) is offered
        assert ("test_selected" in actions) is offered


def test_an_action_without_the_permission_is_refused(world):
    client_of(world["viktor"]).post(
        admin_url("tenants_connection_changelist"),
        {"action": "sync_selected", "_selected_action": [world["a"].pk]},
    )
    assert SyncRun.objects.filter(connection=world["a"]).count() == 1


def test_the_buttons_answer_only_post(world):
    response = client_of(world["alice"]).get(admin_url("tenants_connection_sync", world["a"].pk))
    assert response.status_code == 405


def test_the_buttons_need_the_csrf_token(world):
    strict = client_of(world["alice"], enforce_csrf_checks=True)
    response = strict.post(admin_url("tenants_connection_sync", world["a"].pk))
    assert response.status_code == 403
    assert SyncRun.objects.filter(connection=world["a"]).count() == 1


def test_a_member_syncs_her_own_connection_unless_it_is_busy(world):
    scheduled = SyncRun.objects.create(connection=world["a"], trigger="cron", status="running")
    lease.claim(world["a"].pk, scheduled.pk)  # the schedule's run is syncing it right now
    response = client_of(world["alice"]).post(
        admin_url("tenants_connection_sync", world["a"].pk), follow=True
    )
    assert "is already syncing; no second run was started" in response.content.decode()
    assert SyncRun.objects.filter(connection=world["a"]).count() == 2
    assert response.redirect_chain[-1][0] == admin_url("sync_syncrun_change", scheduled.pk)


def test_progress_needs_the_view_permission(world):
    nobody = User.objects.create_user("nobody", is_staff=True)
    world["a"].tenant.staff.add(nobody)
    response = client_of(nobody).get(admin_url("sync_syncrun_progress"), {"id": world["run_a"].pk})
    assert response.status_code == 403
