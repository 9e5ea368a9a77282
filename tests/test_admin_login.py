"""The admin login resists guessing: five failures of one username from one address refuse that
pair for fifteen minutes, saying so on the login page; other users and addresses go on."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.processes import manage

LOGIN = reverse("admin:login")
PASSWORD = "Operátor-Heslo-2026"
WRONG = "Operátor-Heslo-2025"
ALICE, MALLORY = "203.0.113.7", "198.51.100.66"  # addresses of two clients
PROXY = "10.0.0.2"
LOCKED = "Too many failed logins for this user from your address: try again in 15 minutes."
CLIENT_ADDRESS = ["AXES_IPWARE_META_PRECEDENCE_ORDER", "AXES_IPWARE_PROXY_COUNT"]


@pytest.fixture(autouse=True)
def quick_hashing(settings):
    """Every try hashes a password; the default hasher takes most of a second by design."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def operator(db):
    return User.objects.create_superuser("operator", password=PASSWORD)


@pytest.fixture
def viewer(db):
    return User.objects.create_user("viewer", password=PASSWORD, is_staff=True)


def log_in(username: str, password: str, address: str = ALICE, **headers):
    """A login posted from `address`, as a fresh browser would."""
    data = {"username": username, "password": password, "next": "/admin/"}
    return Client().post(LOGIN, data, REMOTE_ADDR=address, headers=headers)


def fail(times: int, username: str = "operator", **where) -> None:
    for _ in range(times):
        assert log_in(username, WRONG, **where).status_code in (200, 429)


def settings_made_of(**env: str) -> dict:
    """The login settings edurpg/settings.py makes of these environment variables."""
    names = ["AXES_FAILURE_LIMIT", "AXES_COOLOFF_TIME", *CLIENT_ADDRESS]
    code = "import json; from django.conf import settings as s; "
    code += f"print(json.dumps({{n: getattr(s, n, None) for n in {names}}}, default=str))"
    result = manage("shell", "--no-imports", "-c", code, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_four_failures_show_the_form_again(operator):
    fail(4)
    assert log_in("operator", PASSWORD).status_code == 302


def test_the_fifth_failure_locks_the_user_out_of_that_address(operator):
    fail(4)
    fifth = log_in("operator", WRONG)
    assert fifth.status_code == 429
    assert LOCKED in fifth.content.decode()


def test_a_locked_out_user_is_refused_the_right_password_with_a_clear_message(operator):
    fail(5)
    refused = log_in("operator", PASSWORD)
    assert refused.status_code == 429
    page = refused.content.decode()
    assert f'<p class="errornote" id="lockout">{LOCKED}</p>' in page
    assert 'id="login-form"' in page and 'value="operator"' in page  # the login page, refilled
    assert "_auth_user_id" not in refused.wsgi_request.session


def test_the_lockout_is_for_that_user_from_that_address_only(operator, viewer):
    fail(5)
    assert log_in("viewer", PASSWORD).status_code == 302  # another user, same address
    assert log_in("operator", PASSWORD, address=MALLORY).status_code == 302  # another address
    assert log_in("operator", PASSWORD).status_code == 429


def test_the_lockout_ends_after_the_cool_off(operator):
    fail(5)
    with time_machine.travel(timezone.now() + timedelta(minutes=14), tick=False):
        assert log_in("operator", PASSWORD).status_code == 429
    with time_machine.travel(timezone.now() + timedelta(minutes=30), tick=False):
        assert log_in("operator", PASSWORD).status_code == 302


def test_a_successful_login_starts_the_count_again(operator):
    fail(4)
    assert log_in("operator", PASSWORD).status_code == 302
    fail(4)
    assert log_in("operator", PASSWORD).status_code == 302


def test_the_limit_and_the_cool_off_come_from_the_environment():
    assert settings_made_of() == {
        "AXES_FAILURE_LIMIT": 5,
        "AXES_COOLOFF_TIME": "0:15:00",
        "AXES_IPWARE_META_PRECEDENCE_ORDER": ["REMOTE_ADDR"],  # the address that connected
        "AXES_IPWARE_PROXY_COUNT": None,
    }
    made = settings_made_of(AXES_FAILURE_LIMIT="3", AXES_COOLOFF_MINUTES="60")
    assert (made["AXES_FAILURE_LIMIT"], made["AXES_COOLOFF_TIME"]) == (3, "1:00:00")


def test_without_a_trusted_proxy_a_forwarded_address_is_ignored(operator):
    for i in range(5):  # a guesser inventing a new address each time
        log_in("operator", WRONG, address=PROXY, x_forwarded_for=f"192.0.2.{i}")
    refused = log_in("operator", PASSWORD, address=PROXY, x_forwarded_for=ALICE)
    assert refused.status_code == 429


@pytest.fixture(scope="module")
def made_behind_a_proxy():
    return settings_made_of(TRUSTED_PROXY_COUNT="1")


@pytest.fixture
def behind_a_proxy(settings, made_behind_a_proxy):
    """The settings made of TRUSTED_PROXY_COUNT=1: one proxy in front, appending to the header."""
    for name in CLIENT_ADDRESS:
        setattr(settings, name, made_behind_a_proxy[name])


def test_behind_a_trusted_proxy_the_address_it_forwards_counts(behind_a_proxy, operator):
    fail(5, address=PROXY, x_forwarded_for=MALLORY)
    assert log_in("operator", PASSWORD, address=PROXY, x_forwarded_for=MALLORY).status_code == 429
    assert log_in("operator", PASSWORD, address=PROXY, x_forwarded_for=ALICE).status_code == 302


def test_behind_a_trusted_proxy_what_a_client_forwards_itself_is_ignored(behind_a_proxy, operator):
    fail(5, address=PROXY, x_forwarded_for=MALLORY)
    # Mallory claims to be Alice; the proxy appends the address it saw.
    spoofed = log_in("operator", PASSWORD, address=PROXY, x_forwarded_for=f"{ALICE}, {MALLORY}")
    assert spoofed.status_code == 429


def test_the_deploy_check_finds_the_login_guard_in_place():
    result = manage("check", "--deploy", DEBUG="false", ALLOWED_HOSTS="edurpg.example.org")
    assert result.returncode == 0, result.stderr
    assert "(axes." not in result.stderr + result.stdout  # middleware, backend, parameters
