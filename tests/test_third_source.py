"""A third source is one folder: `tests/third_source/`, a library installed by its own settings.

Its tables exist only in a database migrated with it installed, so its checks run in a pytest
process of their own, on the same kind of database as this run (DATABASE_URL is inherited).
"""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKS = "tests/third_source/when_installed.py"
PROJECT_FOLDERS = ("edurpg", "sync", "tenants", "templates")
PROJECT_FILES = ("pyproject.toml", "manage.py", "Makefile")


def project_files() -> list[Path]:
    found = [ROOT / name for name in PROJECT_FILES]
    for folder in PROJECT_FOLDERS:
        found += [path for path in (ROOT / folder).rglob("*") if path.suffix in (".py", ".html")]
    return found


def test_nothing_outside_its_folder_names_the_library():
    naming = [
        path.relative_to(ROOT)
        for path in project_files()
        if re.search(r"third_source|LibrarySource|[\"']library[\"']", path.read_text())
    ]

    assert naming == []


def test_the_library_is_synced_and_shown_like_the_real_sources():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            CHECKS,
            "--ds=tests.third_source.settings",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:hypothesispytest",  # unused there, and a second of start-up
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert re.fullmatch(r"\d+ passed in .*", result.stdout.strip().splitlines()[-1]), result.stdout
