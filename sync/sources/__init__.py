"""One Django app per external system; each names its `sync.sources.registry.Source`."""
