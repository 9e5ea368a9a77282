import math
from html import escape

from django.core.management.base import BaseCommand, CommandError

from sync.sources import registry
from sync.upstream.sandbox import Mount, make_loopback_server


def index_page(sources, server_url: str) -> bytes:
    """The root page: each sandbox with the values to paste into a connection."""
    sections = []
    for source in sources:
        rows = "".join(
            f"<tr><th>{escape(name)}</th><td><code>{escape(demo_value(source, name, server_url))}"
            "</code></td></tr>"
            for name in source.demo_settings
        )
        sections.append(f"<h2>{escape(source.label)}</h2><table>{rows}</table>")
    return (
        "<!doctype html><meta charset=utf-8><title>EduRPG sandboxes</title>"
        "<h1>EduRPG sandboxes</h1><p>Local emulations of the upstream APIs, with demo data. "
        "Paste these settings into a connection (with SYNC_ALLOW_INSECURE_URLS=true).</p>"
        + "".join(sections)
    ).encode()


def demo_value(source, name: str, server_url: str) -> str:
    value = source.demo_settings[name]
    return server_url + value if name == "base_url" else value


def require_range(option: str, value: float, low: float, high: float = math.inf) -> None:
    """A value out of range is a usage error: one line naming the option, exit 2."""
    if not low <= value <= high:
        bounds = f"at least {low:g}" if high == math.inf else f"between {low:g} and {high:g}"
        raise CommandError(f"{option} must be {bounds}, not {value:g}", returncode=2)


def require_port(option: str, value: int) -> None:
    require_range(option, value, 0, 65535)


class Command(BaseCommand):
    help = "Serve every source's sandbox over loopback HTTP (demo, benchmarks, browser tests)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
        parser.add_argument("--latency", type=float, default=0.0, help="seconds per response")
        parser.add_argument("--error-rate", type=float, default=0.0, help="share answered 503")

    def handle(self, **options):
        require_port("--port", options["port"])
        require_range("--latency", options["latency"], 0)
        require_range("--error-rate", options["error_rate"], 0, 1)
        sources = registry.all_sources()
        apps = [source.make_sandbox(f"/{source.slug}") for source in sources]
        for app in apps:
            app.faults.latency = options["latency"]
            app.faults.error_rate = options["error_rate"]
        mount = Mount(apps, index=lambda url: index_page(sources, url))
        try:
            server = make_loopback_server(mount, options["host"], options["port"])
        except OSError as exc:
            where = f"{options['host']}:{options['port']}"
            raise CommandError(f"cannot listen on {where}: {exc}") from None
        host, port = server.server_address[:2]
        self.stdout.write(f"Sandboxes serving at http://{host}:{port}/ (Ctrl+C stops)")
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
