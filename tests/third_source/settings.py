"""The project's settings with the library installed, for `when_installed.py` only."""

from edurpg.settings import *  # noqa: F403
from edurpg.settings import DATABASES, INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.third_source"]

# A test database of its own on PostgreSQL, beside the main run's (SQLite files are per process).
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("TEST", {})["NAME"] = (
        f"test_{DATABASES['default']['NAME']}_library"
    )

# The admin's pages need a superuser per test; hashing its password properly would cost more
# than the whole sync.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
