from django.apps import AppConfig


class BakalariConfig(AppConfig):
    name = "sync.sources.bakalari"
    label = "bakalari"
    verbose_name = "Bakaláři"

    sync_source = "sync.sources.bakalari.source.BakalariSource"  # found by sync.sources.registry
