from django.apps import AppConfig


class BakalariConfig(AppConfig):
    name = "sync.sources.bakalari"
    label = "bakalari"
    verbose_name = "Bakaláři"

    def ready(self) -> None:
        from sync import registry

        from .source import BakalariSource

        registry.register(BakalariSource())
