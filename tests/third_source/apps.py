from django.apps import AppConfig


class LibraryConfig(AppConfig):
    name = "tests.third_source"
    label = "library"
    verbose_name = "Library"

    sync_source = "tests.third_source.source.LibrarySource"  # found by sync.sources.registry
