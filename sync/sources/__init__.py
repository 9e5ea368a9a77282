"""One Django app per external system; each registers a `sync.registry.Source` when ready."""
