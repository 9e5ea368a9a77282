"""What the sync writes is only looked at in the admin: API tokens, external refs, the mirror."""

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from sync.models import ApiToken, ExternalRef
from sync.ops.tokens import create_token
from sync.run.engine import sync_connection
from sync.sources.sari.models import Participant

TOKENS = reverse("admin:sync_apitoken_changelist")


@pytest.fixture
def token(db):
    return create_token("k8s-cronjob")


def test_the_token_list_never_shows_the_digest_or_the_token(admin_client, token):
    stored, clear_text = token
    for url in (TOKENS, reverse("admin:sync_apitoken_change", args=[stored.pk])):
        page = admin_client.get(url).content.decode()
        assert "k8s-cronjob" in page and stored.prefix in page
        assert stored.digest not in page
        assert clear_text.split("_", 2)[2] not in page  # the secret may hold "_" too


def test_a_token_is_revoked_with_the_action(admin_client, token):
    stored, _ = token
    response = admin_client.post(
        TOKENS, {"action": "revoke", "_selected_action": [stored.pk]}, follow=True
    )
    assert "Revoked 1 token(s)." in response.content.decode()
    stored.refresh_from_db()
    assert stored.revoked


def test_tokens_are_not_created_in_the_admin(admin_client, token):
    assert admin_client.get(reverse("admin:sync_apitoken_add")).status_code == 403


def test_staff_do_not_see_tokens_even_with_permissions(client, token):
    staff = User.objects.create_user("staff", is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(content_type__model="apitoken"))
    client.force_login(staff)
    assert client.get(TOKENS).status_code == 403
    client.post(TOKENS, {"action": "revoke", "_selected_action": [token[0].pk]})
    assert not ApiToken.objects.get().revoked


def test_the_mirror_and_its_refs_are_read_only_and_scoped(client, admin_client, served):
    mine = served.connect("autoskola", source="sari")
    theirs = served.connect("jina-autoskola", source="sari")
    for connection in (mine, theirs):
        sync_connection(connection, trigger="cli")
    member = User.objects.create_user("clen", is_staff=True)
    member.user_permissions.add(*Permission.objects.filter(codename__startswith="view_"))
    mine.tenant.staff.add(member)
    client.force_login(member)
    participant = Participant.objects.filter(tenant=mine.tenant).first()
    ref = ExternalRef.objects.filter(tenant=mine.tenant).first()

    participants = client.get(reverse("admin:sari_participant_changelist")).context["cl"]
    refs = client.get(reverse("admin:sync_externalref_changelist")).context["cl"]
    page = client.get(reverse("admin:sari_participant_change", args=[participant.pk]))

    assert Participant.objects.filter(tenant=theirs.tenant).exists()
    assert participants.result_count == Participant.objects.filter(tenant=mine.tenant).count()
    assert refs.result_count == ExternalRef.objects.filter(tenant=mine.tenant).count()
    assert page.status_code == 200 and not page.context["has_change_permission"]
    assert client.get(reverse("admin:sync_externalref_change", args=[ref.pk])).status_code == 200
    assert admin_client.get(reverse("admin:sari_participant_add")).status_code == 403
