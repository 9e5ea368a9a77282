from django.core.management.base import BaseCommand

from edurpg.version import product_version


class Command(BaseCommand):
    help = "Print the version of EduRPG sync (manage.py --version prints Django's)."

    def handle(self, **options):
        self.stdout.write(product_version())
