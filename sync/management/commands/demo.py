import secrets

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

DEMO_ADMIN = "admin"


class Command(BaseCommand):
    help = "Prepare a local demo: migrate, make an admin login, optionally serve the admin."

    def add_arguments(self, parser):
        parser.add_argument("--serve", metavar="HOST:PORT", help="then run the web server here")

    def handle(self, **options):
        call_command("migrate", interactive=False, verbosity=0)
        password = self.reset_demo_admin()
        address = options["serve"]
        self.stdout.write(f"Admin login: {DEMO_ADMIN} / {password}")
        if address:
            self.stdout.write(f"Serving the admin at http://{address}/admin/ (Ctrl+C stops)")
            call_command("runserver", address, use_reloader=False)

    def reset_demo_admin(self) -> str:
        """A fresh password each run, so running the demo twice is harmless."""
        password = secrets.token_urlsafe(12)
        user, _ = get_user_model().objects.get_or_create(username=DEMO_ADMIN)
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        return password
