from django.conf import settings
from django.core.management.base import BaseCommand

from sync.engine import execute_queued


class Command(BaseCommand):
    help = "Carry out queued runs by id (started by the admin and the HTTP trigger)."

    def add_arguments(self, parser):
        parser.add_argument("run_ids", nargs="+")

    def handle(self, **options):
        for run in execute_queued(options["run_ids"], workers=settings.SYNC_WORKERS):
            self.stdout.write(f"{run.pk} {run.status}")
