#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys

CONFIGURATION_ERROR = 2  # as for a usage error: a sync failing exits 1, schedulers tell them apart


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edurpg.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.db import DatabaseError

    try:
        settings.INSTALLED_APPS  # noqa: B018 - load settings now so a bad configuration is one line
        from tenants.crypto import key_ring

        key_ring()  # a malformed key would otherwise surface as a system check error, exit 1
        check_schedule(command=sys.argv[1:2])
    except ImproperlyConfigured as exc:
        stop(f"configuration error: {exc}")
    from tenants.crypto import SecretUnreadable

    try:
        execute(sys.argv)
    except SecretUnreadable as exc:  # restored with other keys than the secrets were stored with
        if "--traceback" in sys.argv:
            raise
        stop(f"configuration error: {exc}")
    except DatabaseError:
        from edurpg.database import database_problem

        problem = database_problem(migrating=sys.argv[1:2] == ["migrate"])
        if problem is None or "--traceback" in sys.argv:
            raise  # the command's own error, not the database's state: its traceback helps
        stop(problem)


def execute(argv: list[str]) -> None:
    """Django's command line, except that `version` is the product's command: Django answers it
    with its own version, as it does `--version`, which stays Django's."""
    import django
    from django.core.management import ManagementUtility, execute_from_command_line

    if argv[1:2] != ["version"]:
        execute_from_command_line(argv)
        return
    django.setup()
    ManagementUtility(argv).fetch_command("version").run_from_argv(argv)


def check_schedule(command: list[str]) -> None:
    """`check` lists a bad SYNC_SCHEDULE among its errors; every other command stops here."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    from sync.run.schedule import schedule_problem

    problem = schedule_problem(settings.SYNC_SCHEDULE)
    if problem and command != ["check"]:
        raise ImproperlyConfigured(problem)


def stop(line: str) -> None:
    sys.stderr.write(f"{line}\n")
    sys.exit(CONFIGURATION_ERROR)


if __name__ == "__main__":
    main()
