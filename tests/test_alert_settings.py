"""The alert settings: the mail server as one URL, the operator's contacts, and one line for a
value that cannot be used (the URL never echoed: it may hold a password)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Heslo-Posty-77"
SHOWN = (
    "from django.conf import settings as s; print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, "
    "s.EMAIL_HOST_USER, s.EMAIL_HOST_PASSWORD, s.EMAIL_USE_TLS, s.SYNC_ALERT_EMAILS, "
    "s.SYNC_ALERT_URLS)"
)


def manage(*args, **env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_mail_server_and_the_operators_contacts_are_read_from_the_environment():
    result = manage(
        "shell",
        "-c",
        SHOWN,
        EMAIL_URL=f"smtp+tls://alerts%40example.cz:{PASSWORD}@smtp.example.cz:587",
        SYNC_ALERT_EMAILS="ops@example.cz, reditel@skola.cz",
        SYNC_ALERT_URLS="slack://a/b/c, json://hooks.example.cz/x?to=a,b jsons://h/y",
    )
    assert result.stdout.splitlines()[-1].split(" ", 6) == [
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.example.cz",
        "587",
        "alerts@example.cz",
        PASSWORD,
        "True",
        "['ops@example.cz', 'reditel@skola.cz'] "
        "['slack://a/b/c', 'json://hooks.example.cz/x?to=a,b', 'jsons://h/y']",
    ], result.stderr


@pytest.mark.parametrize(
    "variable, value, line",
    [
        (
            "EMAIL_URL",
            f"smtps+starttls://u:{PASSWORD}@smtp.example.cz",
            "EMAIL_URL must be smtp://…, smtp+tls://…, smtp+ssl://… or consolemail://, "
            "not smtps+starttls://…",
        ),
        (
            "EMAIL_URL",
            f"smtp://u:{PASSWORD}@smtp.example.cz:25x",
            "EMAIL_URL has a port that is not a number",
        ),
        (
            "SYNC_ALERT_EMAILS",
            "ops@example.cz,ops.example.cz",
            "SYNC_ALERT_EMAILS holds 'ops.example.cz', not an e-mail address",
        ),
    ],
)
def test_a_value_that_cannot_be_used_is_one_line_and_exit_2(variable, value, line):
    result = manage("check", **{variable: value})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"configuration error: {line}"]
    assert PASSWORD not in result.stderr
