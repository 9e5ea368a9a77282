import uuid

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sync.run.engine import execute_queued


class Command(BaseCommand):
    help = "Carry out queued runs by id (started by the admin and the HTTP trigger)."

    def add_arguments(self, parser):
        parser.add_argument("run_ids", nargs="+")

    def handle(self, **options):
        run_ids = [run_id(text) for text in options["run_ids"]]
        for run in execute_queued(run_ids, workers=settings.SYNC_WORKERS):
            self.stdout.write(f"{run.pk} {run.status}")


def run_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a run id (run ids are UUIDs)", returncode=2) from None
