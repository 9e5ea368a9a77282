import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent


def manage(*args, **env_overrides):
    env = {**os.environ, **env_overrides}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def production_env(**overrides):
    env = {
        "DEBUG": "false",
        "SECRET_KEY": "x" * 60 + "-production-signing-key-for-the-check",
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "edurpg.example.org",
    }
    env.update(overrides)
    return env


@pytest.mark.parametrize("variable", ["SECRET_KEY", "FIELD_ENCRYPTION_KEYS"])
def test_production_refuses_to_start_without(variable):
    result = manage("check", **production_env(**{variable: ""}))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"configuration error: {variable} is not set (see .env.example)"
    ]


def test_a_malformed_encryption_key_fails_the_check():
    result = manage("check", **production_env(FIELD_ENCRYPTION_KEYS="not-a-key"))
    assert result.returncode == 2
    assert "not a Fernet key" in result.stderr


@pytest.mark.parametrize(
    "variable, value, sentence",
    [
        ("SYNC_EXECUTOR", "cron", "SYNC_EXECUTOR must be 'process', 'thread' or 'celery'"),
        ("FIELD_ENCRYPTION_KEYS", "not-a-key", "holds a value that is not a Fernet key"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT must be 'text' or 'json'"),
        ("SYNC_LEASE_SECONDS", "five", "SYNC_LEASE_SECONDS must be a number, not 'five'"),
        ("SYNC_WORKERS", "0", "SYNC_WORKERS must be at least 1, not 0"),
    ],
)
def test_sync_sources_exits_2_on_a_configuration_error(variable, value, sentence):
    result = manage("sync_sources", **production_env(**{variable: value}))
    assert result.returncode == 2  # not 1, which means a sync failed
    assert result.stderr.startswith("configuration error: ") and sentence in result.stderr


# HSTS for subdomains and preloading depend on the operator's domain; the README explains both.
EXPLAINED_DEPLOY_WARNINGS = {"security.W005", "security.W021"}


def test_deploy_check_warns_only_of_what_the_readme_explains():
    result = manage("check", "--deploy", **production_env())
    assert result.returncode == 0, result.stderr
    warnings = set(re.findall(r"\((security\.W\d+)\)", result.stderr + result.stdout))
    assert warnings <= EXPLAINED_DEPLOY_WARNINGS
    readme = (ROOT / "README.md").read_text()
    assert all(warning in readme for warning in warnings)


@pytest.mark.django_db
def test_models_and_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.parametrize(
    "variable, value, sentence",
    [
        ("DEBUG", "maybe", "DEBUG must be true or false, not 'maybe'"),
        ("SECURE_SSL_REDIRECT", "yse", "SECURE_SSL_REDIRECT must be true or false, not 'yse'"),
        (
            "LOG_LEVEL",
            "LOUD",
            "LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not 'LOUD'",
        ),
        (
            "DATABASE_URL",
            "mysqlx://edurpg:Tajne-heslo-42@db.example.org/edurpg",
            "DATABASE_URL must be postgres://… or sqlite:///…, not mysqlx://…",
        ),
        (
            "DATABASE_URL",
            "edurpg:Tajne-heslo-42@db.example.org/edurpg",
            "DATABASE_URL has no scheme: it must be postgres://… or sqlite:///…",
        ),
        (
            "SYNC_SCHEDULE",
            "every 15 minutes",
            "SYNC_SCHEDULE is not a cron expression: 'every 15 minutes' has 3 fields, not the "
            "five of cron (minute hour day month weekday)",
        ),
        (
            "SYNC_SCHEDULE",
            "*/15 25 * * *",
            "SYNC_SCHEDULE is not a cron expression: in '*/15 25 * * *' the hour field '25' is "
            "not valid (values 0-23)",
        ),
    ],
)
def test_a_malformed_variable_is_one_line_and_exit_2(variable, value, sentence):
    result = manage("sync_status", **production_env(**{variable: value}))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"configuration error: {sentence}"]


def test_an_sqlite_file_in_a_missing_folder_is_refused_not_made(tmp_path):
    folder = tmp_path / "no-such-folder"
    result = manage("migrate", **production_env(DATABASE_URL=f"sqlite:///{folder}/edurpg.sqlite3"))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"configuration error: DATABASE_URL names an SQLite file in {folder}, "
        "a folder that does not exist"
    ]
    assert not folder.exists()


def test_the_check_reports_a_schedule_that_is_not_cron_as_a_system_check_error():
    result = manage("check", **production_env(SYNC_SCHEDULE="*/15 * * * mon-fri,sun"))
    assert result.returncode == 0, result.stderr  # cron's day names are fine
    result = manage("check", **production_env(SYNC_SCHEDULE="*/15 * *"))
    assert result.returncode == 1
    assert "(sync.E001) SYNC_SCHEDULE is not a cron expression: '*/15 * *' has 3" in result.stderr
