"""The production command serves the admin and its static files: gunicorn, DEBUG off,
collectstatic, WhiteNoise; a real process on loopback."""

import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.processes import ROOT, environment, unused_port

GUNICORN = Path(sys.executable).parent / "gunicorn"


@pytest.fixture
def production(tmp_path):
    """gunicorn serving a migrated SQLite database with static files collected, as deployed."""
    env = environment(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        STATIC_ROOT=str(tmp_path / "static"),
        DEBUG="false",
        SECURE_SSL_REDIRECT="false",  # plain http on loopback; behind a TLS proxy in production
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
    )
    for command in (["migrate", "-v0"], ["collectstatic", "--noinput", "-v0"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True)
    port = unused_port()
    server = subprocess.Popen(
        [str(GUNICORN), "edurpg.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(url + "/api/health/", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_gunicorn_serves_the_admin_login_and_its_css_compressed_and_cache_busted(production):
    page = httpx.get(production + "/admin/login/")
    assert page.status_code == 200 and "Log in" in page.text

    css = re.search(r'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"', page.text)
    assert css, "the page names its stylesheet by a hashed name"
    sheet = httpx.get(production + css.group(1), headers={"Accept-Encoding": "gzip"})
    assert sheet.status_code == 200
    assert sheet.headers["content-type"].startswith("text/css")
    assert sheet.headers["content-encoding"] == "gzip"
    assert "immutable" in sheet.headers["cache-control"]
    assert "body" in sheet.text
