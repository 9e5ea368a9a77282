from django.apps import AppConfig


class SariConfig(AppConfig):
    name = "sync.sources.sari"
    label = "sari"
    verbose_name = "SARI"

    sync_source = "sync.sources.sari.source.SariSource"  # found by sync.sources.registry
