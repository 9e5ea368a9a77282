#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys

CONFIGURATION_ERROR = 2  # as for a usage error: a sync failing exits 1, schedulers tell them apart


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edurpg.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 - load settings now so a bad configuration is one line
        from tenants.crypto import key_ring

        key_ring()  # a malformed key would otherwise surface as a system check error, exit 1
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"configuration error: {exc}\n")
        sys.exit(CONFIGURATION_ERROR)
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
