"""A new tenant and its connection added on one page of a real browser, which posts back every
form it was shown, the blank ones included."""

import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from tenants.models import Tenant
from tests.browser.test_console import CHROMIUM, PASSWORD, chromium_page, shot

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing: apt-get install chromium"
    ),
    pytest.mark.django_db(transaction=True),
]


def log_in(page, live_server) -> None:
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "operator")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_contain_text("operator")


def setting(page, name: str):
    """The input of a connection setting in the first form of the page holding it."""
    return page.locator(f"[name$='-0-{name}']")


def test_an_operator_adds_a_school_and_a_driving_school_with_their_connections(
    live_server, settings
):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False  # plain http here
    User.objects.create_superuser("operator", password=PASSWORD)

    with chromium_page() as page:
        log_in(page, live_server)
        page.goto(f"{live_server.url}/admin/tenants/tenant/add/")
        page.fill("#id_name", "Gymnázium Nové")
        expect(setting(page, "sari__environment")).to_have_count(0)
        setting(page, "bakalari__base_url").fill("https://nove.example.cz/login")
        setting(page, "bakalari__username").fill("ucitel")
        setting(page, "bakalari__password").fill("Heslo-Školy-1")
        shot(page, "tenant-1-school")
        page.click("input[name=_save]")
        expect(page.locator("ul.messagelist")).to_contain_text("was added successfully")

        page.goto(f"{live_server.url}/admin/tenants/tenant/add/")
        page.fill("#id_name", "Autoškola Nová")
        page.select_option("#id_kind", "driving_school")
        expect(page).to_have_url(re.compile(r"kind=driving_school"))
        expect(page.locator("#id_name")).to_have_value("Autoškola Nová")
        expect(setting(page, "bakalari__base_url")).to_have_count(0)
        setting(page, "sari__environment").select_option("test")
        for name in ("client_id", "client_secret", "username", "password"):
            setting(page, f"sari__{name}").fill(f"{name}-Jízda-2")
        shot(page, "tenant-2-driving-school")
        page.click("input[name=_save]")
        expect(page.locator("ul.messagelist")).to_contain_text("was added successfully")

    school = Tenant.objects.get(name="Gymnázium Nové")
    (bakalari,) = school.connections.all()
    assert (bakalari.source, bakalari.secrets) == ("bakalari", {"password": "Heslo-Školy-1"})
    driving_school = Tenant.objects.get(name="Autoškola Nová")
    assert driving_school.kind == Tenant.Kind.DRIVING_SCHOOL
    (sari,) = driving_school.connections.all()
    assert (sari.source, sari.secrets["password"]) == ("sari", "password-Jízda-2")
