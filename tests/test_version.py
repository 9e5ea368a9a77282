"""The product's version: `manage.py version` prints it, and every admin page shows it to staff."""

import shutil
import subprocess
import sys
import tomllib
from importlib.metadata import version

import django
import pytest
from django.urls import reverse

from sync.models import SyncRun
from tenants.models import Connection, Tenant

from .processes import ROOT, manage

PYPROJECT_VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def test_it_is_pyprojects_version_as_installed():
    assert version("edurpg") == PYPROJECT_VERSION, "reinstall after a new version: pip install -e ."


@pytest.mark.django_db
def test_manage_py_version_prints_it_and_dash_dash_version_stays_djangos():
    assert manage("version").stdout == f"{PYPROJECT_VERSION}\n"
    assert manage("--version").stdout == f"{django.get_version()}\n"


def test_a_checkout_never_installed_reads_pyproject(tmp_path):
    (tmp_path / "edurpg").mkdir()
    (tmp_path / "edurpg" / "__init__.py").touch()
    shutil.copy(ROOT / "edurpg" / "version.py", tmp_path / "edurpg")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "edurpg"\nversion = "7.1.2"\n')
    script = "from edurpg.version import product_version; print(product_version())"
    # -S: no site-packages, so no installed edurpg to find
    found = subprocess.run(
        [sys.executable, "-S", "-c", script], cwd=tmp_path, capture_output=True, text=True
    )
    assert found.stdout == "7.1.2\n", found.stderr


@pytest.fixture
def run(db):
    school = Tenant.objects.create(name="Gymnázium Demo", slug="demo")
    return SyncRun.objects.create(connection=Connection.objects.create(tenant=school), status="ok")


@pytest.mark.parametrize(
    "page",
    [
        "admin:index",
        "admin:tenants_tenant_changelist",
        "admin:tenants_connection_add",
        "admin:sync_syncrun_changelist",  # its footer adds the live script
        "admin:sync_syncrun_change",
        "admin:bakalari_pupil_changelist",
    ],
)
def test_every_admin_page_shows_the_version_to_staff_in_its_footer(admin_client, run, page):
    args = [run.pk] if page.endswith("_change") else []
    response = admin_client.get(reverse(page, args=args))
    assert response.status_code == 200
    footer = response.content.decode().split('<footer id="footer">')[1].split("</footer>")[0]
    assert f'<p class="help" id="product-version">EduRPG sync {PYPROJECT_VERSION}</p>' in footer


def test_the_login_page_tells_strangers_no_version(client):
    page = client.get(reverse("admin:login")).content.decode()
    assert "product-version" not in page and PYPROJECT_VERSION not in page
