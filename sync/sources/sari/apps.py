from django.apps import AppConfig


class SariConfig(AppConfig):
    name = "sync.sources.sari"
    label = "sari"
    verbose_name = "SARI"

    def ready(self) -> None:
        from sync import registry

        from .source import SariSource

        registry.register(SariSource())
