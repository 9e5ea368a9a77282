from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "sync"
    verbose_name = "Synchronisation"

    def ready(self) -> None:
        from django.core import checks

        from .schedule import check_schedule

        checks.register(check_schedule)
