from django.core.management.base import BaseCommand, CommandError

from sync.models import ApiToken
from sync.ops.tokens import create_token


class Command(BaseCommand):
    help = "Make a bearer token for the HTTP trigger. It is printed once and stored hashed."

    def add_arguments(self, parser):
        parser.add_argument("name", help="who or what uses it, e.g. 'k8s-cronjob'")

    def handle(self, **options):
        name = options["name"].strip()
        if not name:
            raise CommandError(
                "a token needs a name that says who uses it, e.g. 'k8s-cronjob'", returncode=2
            )
        if ApiToken.objects.filter(name=name).exists():
            raise CommandError(
                f"a token named {name!r} exists; choose another name, or delete "
                "that token in the admin (a revoked token keeps its name)"
            )
        _, token = create_token(name)
        self.stdout.write(token)
        self.stderr.write("Store it now: it cannot be shown again.")
