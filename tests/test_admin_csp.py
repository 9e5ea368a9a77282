"""The admin's Content-Security-Policy: strict, and every inline script and style it serves is
one the policy allows (by the request's nonce, or by hash for the few that Django's admin and
import-export write themselves). tests/browser/test_console.py watches a real browser obey it."""

import base64
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from sync.models import SyncRun
from tenants.models import Connection, Tenant

STRICT = {
    "default-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}


class InlineCode(HTMLParser):
    """The inline scripts and styles of a page: elements, event handlers, style attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts, self.styles, self.handlers, self.style_attributes = [], [], [], []
        self.open = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.handlers += [code for name, code in attrs.items() if name.startswith("on")]
        if "style" in attrs:
            self.style_attributes.append(attrs["style"])
        if tag in ("script", "style") and "src" not in attrs:
            self.open = {"tag": tag, "nonce": attrs.get("nonce"), "text": ""}

    def handle_data(self, data):
        if self.open:
            self.open["text"] += data

    def handle_endtag(self, tag):
        if self.open and tag == self.open["tag"]:
            (self.scripts if tag == "script" else self.styles).append(self.open)
            self.open = None


def policy_of(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: sources for name, *sources in directives}


def sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def inline_code_of(response) -> InlineCode:
    page = InlineCode()
    page.feed(response.content.decode())
    return page


@pytest.fixture
def superuser_client(db):
    client = Client()
    client.force_login(User.objects.create_superuser("root", password="unused-Heslo-1"))
    return client


@pytest.fixture
def run(db):
    tenant = Tenant.objects.create(name="Gymnázium Demo", slug="demo")
    connection = Connection.objects.create(tenant=tenant, source="bakalari")
    return SyncRun.objects.create(connection=connection, trigger="manual", status="running")


def test_the_login_page_sends_a_strict_policy(client):
    policy = policy_of(client.get(reverse("admin:login")))
    assert {name: policy.get(name) for name in STRICT} == STRICT
    for directive in ("script-src", "style-src"):
        assert "'self'" in policy[directive]
        assert "'unsafe-inline'" not in policy[directive]
        assert "'unsafe-eval'" not in policy[directive]


@pytest.mark.parametrize(
    "page",
    [
        "admin:index",
        "admin:sync_syncrun_changelist",
        "admin:sync_syncrun_change",
        "admin:sync_syncrun_export",
        "admin:tenants_connection_add",
        "admin:tenants_connection_import",
        "admin:bakalari_pupil_changelist",  # read-only: Django's admin adds an inline style
    ],
)
def test_every_inline_script_and_style_of_an_admin_page_is_allowed(superuser_client, run, page):
    args = [run.pk] if page.endswith("_change") else []
    response = superuser_client.get(reverse(page, args=args))
    assert response.status_code == 200
    policy, code = policy_of(response), inline_code_of(response)
    nonces = {f"'nonce-{item['nonce']}'" for item in code.scripts + code.styles if item["nonce"]}
    assert len(nonces) <= 1  # one nonce per response, and the policy names it
    for script in code.scripts:
        assert f"'nonce-{script['nonce']}'" in policy["script-src"], script["text"][:80]
    for style in code.styles:
        allowed = f"'nonce-{style['nonce']}'" if style["nonce"] else sha256(style["text"])
        assert allowed in policy["style-src"], style["text"][:80]
    for handler in code.handlers:
        assert {"'unsafe-hashes'", sha256(handler)} <= set(policy["script-src-attr"]), handler
    for style in code.style_attributes:
        assert {"'unsafe-hashes'", sha256(style)} <= set(policy["style-src-attr"]), style


def test_the_run_page_names_its_nonce_in_the_policy(superuser_client, run):
    response = superuser_client.get(reverse("admin:sync_syncrun_change", args=[run.pk]))
    nonce = re.search(r'<script nonce="([^"]+)">', response.content.decode()).group(1)
    assert f"'nonce-{nonce}'" in policy_of(response)["script-src"]
    again = superuser_client.get(reverse("admin:sync_syncrun_change", args=[run.pk]))
    assert f"'nonce-{nonce}'" not in policy_of(again)["script-src"]  # a new one each time


def test_every_inline_script_and_style_of_our_templates_carries_the_nonce():
    """Pages rendered above cover most templates; this covers the rest (the tenant pages)."""
    for template in Path(django_settings.BASE_DIR, "templates").rglob("*.html"):
        for tag in re.findall(r"<(?:script|style)\b[^>]*>", template.read_text()):
            assert "src=" in tag or 'nonce="{{ request.csp_nonce }}"' in tag, (template, tag)
