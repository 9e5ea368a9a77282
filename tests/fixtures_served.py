"""Both sandboxes served over real loopback HTTP, and connections of many tenants to them.

For what crosses threads or processes: `sync_sources`, its workers, overlapping runs.
"""

import pytest

from sync.sources import registry
from sync.upstream.sandbox import LoopbackServer, Mount
from tenants.models import Connection, Tenant


class Served:
    def __init__(self, url: str, apps: dict) -> None:
        self.url, self.apps = url, apps

    def connect(self, slug: str, source: str = "bakalari", **fields) -> Connection:
        """A tenant `slug` (made if new) with an enabled connection to the served sandbox."""
        tenant, _ = Tenant.objects.get_or_create(slug=slug, defaults={"name": slug.title()})
        plugin = registry.get(source)
        values = {**plugin.demo_settings, "base_url": self.url + f"/{source}"}
        location = plugin.locate(values, allow_insecure=True)
        secrets = {f.name: values[f.name] for f in plugin.secret_fields}
        fields = {"secrets": secrets, **fields}
        return Connection.objects.create(
            tenant=tenant,
            source=source,
            base_url=location.base_url,
            options=dict(location.options),
            **fields,
        )


@pytest.fixture
def served(request, settings):
    settings.SYNC_ALLOW_INSECURE_URLS = True
    settings.SYNC_HTTP_RETRY = {"attempts": 3, "first_wait": 0.01, "max_wait": 0.05}
    apps = {
        source.slug: source.make_sandbox(f"/{source.slug}") for source in registry.all_sources()
    }
    if request.node.get_closest_marker("whole_school") and "bakalari" in apps:
        apps["bakalari"].school.accounts[0].sees_everything = True  # see fixtures_bakalari
    with LoopbackServer(Mount(list(apps.values()), index=lambda url: b"")) as server:
        yield Served(server.url, apps)
