from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "sync"
    verbose_name = "Synchronisation"

    def ready(self) -> None:
        from django.core import checks
        from django.db.models.signals import post_migrate

        from sync.alerts import incidents
        from sync.console import (
            admin,  # noqa: F401 - the console's pages register themselves
            roles,
        )
        from sync.run import events
        from sync.run.schedule import check_schedule
        from sync.sources import registry
        from tenants.models import Connection

        checks.register(check_schedule)
        Connection.label_source = staticmethod(registry.label_of)
        events.run_finished.connect(incidents.on_run_finished, dispatch_uid="incidents")
        post_migrate.connect(roles.grant_mirrored_views, dispatch_uid="tenant_it_administrator")
