"""The demo command: repeatable, and clear about a port it cannot use before doing any work."""

import re
import socket

import pytest
from django.core.management import CommandError, call_command

from sync.models import SyncRun
from tenants.models import Connection, Tenant

pytestmark = pytest.mark.django_db


def run_demo(capsys, **options) -> str:
    call_command("demo", sandbox_port=0, **options)
    return capsys.readouterr().out


def test_running_the_demo_twice_is_harmless(capsys, settings):
    settings.SYNC_ALLOW_INSECURE_URLS = True
    first = run_demo(capsys)
    second = run_demo(capsys)

    assert "first sync of Gymnázium Demo · Bakaláři: ok" in first
    created = re.search(r"Bakaláři: ok \{'created': (\d+)", first).group(1)
    assert "'created': 0" in second and f"'unchanged': {created}" in second
    assert "Partial coverage" in first and "pupils of 15 of 30 known classes" in first
    assert Tenant.objects.count() == 2 and Connection.objects.count() == 2
    assert set(SyncRun.objects.values_list("status", flat=True)) == {"ok"}
    assert "Admin login: admin / " in second


def test_a_taken_admin_port_is_refused_before_any_work(settings):
    settings.SYNC_ALLOW_INSECURE_URLS = True
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(CommandError, match=f"cannot serve the admin on 127.0.0.1:{port}"):
            call_command("demo", serve=f"127.0.0.1:{port}", sandbox_port=0)
    assert not Tenant.objects.exists(), "nothing was created"


def test_the_admin_and_the_sandboxes_cannot_share_a_port(settings):
    settings.SYNC_ALLOW_INSECURE_URLS = True
    with pytest.raises(CommandError, match="cannot both use port 8765"):
        call_command("demo", serve="127.0.0.1:8765", sandbox_port=8765)


def test_a_taken_sandbox_port_names_the_make_variable_that_moves_it(settings):
    settings.SYNC_ALLOW_INSECURE_URLS = True
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(CommandError, match=f"port {port}: .*make up SANDBOX_PORT={port + 1}"):
            call_command("demo", sandbox_port=port)
