import secrets
import socket
import threading

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from sync.management.commands.sandbox import index_page, require_port
from sync.run.coverage import described
from sync.run.engine import sync_many
from sync.sources import registry
from sync.upstream.sandbox import Mount, make_loopback_server
from tenants.models import Connection, Tenant

DEMO_ADMIN = "admin"
DEMO_TENANTS = {
    "bakalari": ("Gymnázium Demo", "demo-skola", Tenant.Kind.SCHOOL),
    "sari": ("Fahrschule Demo", "demo-fahrschule", Tenant.Kind.DRIVING_SCHOOL),
}


class Command(BaseCommand):
    help = (
        "A local demo: migrate, serve the sandboxes on loopback, create two demo tenants whose "
        "connections point at them, sync once, print the admin login, then serve the admin. "
        "Running it again is harmless."
    )

    def add_arguments(self, parser):
        parser.add_argument("--serve", metavar="HOST:PORT", help="then run the web server here")
        parser.add_argument("--sandbox-port", type=int, default=8765)

    def handle(self, **options):
        require_port("--sandbox-port", options["sandbox_port"])
        if not settings.SYNC_ALLOW_INSECURE_URLS:
            raise CommandError(
                "The demo's sandboxes run on loopback over http: set SYNC_ALLOW_INSECURE_URLS=true "
                "(make writes it into a development .env)."
            )
        if options["serve"]:
            ensure_free(options["serve"], options["sandbox_port"])
        call_command("migrate", interactive=False, verbosity=0)
        sandbox_url = self.start_sandboxes(options["sandbox_port"])
        connections = [
            self.demo_connection(source, sandbox_url) for source in registry.all_sources()
        ]
        runs = sync_many(connections, trigger="cli")
        for run in runs:
            self.stdout.write(f"first sync of {run.connection}: {run.status} {run.totals()}")
            coverage = described(run.coverage)
            if coverage:  # the demo school is read through three teachers: a part of it
                self.stdout.write(f"  {coverage['headline']}")
                for gap in coverage["gaps"]:
                    self.stdout.write(f"    {gap}")
        failed = [run for run in runs if run.status == run.Status.FAILED]
        for run in failed:
            self.stderr.write(f"the first sync of {run.connection} failed: {run.error_message}")
        if failed and not options["serve"]:
            raise CommandError("the demo's first sync failed; see above")
        password = self.reset_demo_admin()
        self.stdout.write(f"Sandboxes: {sandbox_url}/")
        self.stdout.write(f"Admin login: {DEMO_ADMIN} / {password}")
        if options["serve"]:
            self.stdout.write(
                f"Serving the admin at http://{options['serve']}/admin/ (Ctrl+C stops)"
            )
            call_command("runserver", options["serve"], use_reloader=False)

    def start_sandboxes(self, port: int) -> str:
        sources = registry.all_sources()
        apps = [source.make_sandbox(f"/{source.slug}") for source in sources]
        mount = Mount(apps, index=lambda url: index_page(sources, url))
        try:
            server = make_loopback_server(mount, "127.0.0.1", port, quiet=True)
        except OSError as exc:
            raise CommandError(
                f"cannot serve the sandboxes on port {port}: {exc.strerror or exc}; stop what uses "
                f"it or choose another SANDBOX_PORT (make up SANDBOX_PORT={port + 1})"
            ) from None
        threading.Thread(target=server.serve_forever, daemon=True).start()
        host, real_port = server.server_address[:2]
        return f"http://{host}:{real_port}"

    def demo_connection(self, source, sandbox_url: str) -> Connection:
        name, slug, kind = DEMO_TENANTS.get(
            source.slug, (f"Demo {source.label}", f"demo-{source.slug}", Tenant.Kind.SCHOOL)
        )
        tenant, _ = Tenant.objects.update_or_create(
            slug=slug, defaults={"name": name, "kind": kind}
        )
        values = dict(source.demo_settings)
        values["base_url"] = sandbox_url + values["base_url"]
        location = source.locate(values, allow_insecure=True)
        connection, _ = Connection.objects.update_or_create(
            tenant=tenant,
            source=source.slug,
            defaults={
                "enabled": True,
                "base_url": location.base_url,
                "options": dict(location.options),
                "secrets": {f.name: values[f.name] for f in source.secret_fields},
                "session": {},
            },
        )
        for username, account_secrets in source.demo_accounts:
            connection.accounts.update_or_create(
                username=username,
                defaults={"enabled": True, "secrets": dict(account_secrets), "session": {}},
            )
        return connection

    def reset_demo_admin(self) -> str:
        """A fresh password each run, so running the demo twice is harmless."""
        password = secrets.token_urlsafe(12)
        user, _ = get_user_model().objects.get_or_create(username=DEMO_ADMIN)
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        return password


def ensure_free(address: str, sandbox_port: int) -> None:
    """Say at once that the admin's port is taken, before the demo does all its work."""
    host, _, port = address.rpartition(":")
    if not port.isdigit():
        raise CommandError(f"--serve wants HOST:PORT, not {address!r}")
    if int(port) == sandbox_port:
        raise CommandError(
            f"the admin and the sandboxes cannot both use port {port}; "
            f"choose another PORT or SANDBOX_PORT (make up PORT=8000 SANDBOX_PORT=8765)"
        )
    host = host.strip("[]") or "127.0.0.1"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        try:
            probe.bind((host, int(port)))
        except OSError as exc:
            raise CommandError(
                f"cannot serve the admin on {address}: {exc.strerror}; "
                f"stop what uses it or choose another PORT (make up PORT=8001)"
            ) from None
