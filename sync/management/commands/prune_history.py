import json

from django.core.management.base import BaseCommand, CommandError

from sync.housekeeping import history


class Command(BaseCommand):
    help = (
        "Delete sync runs older than SYNC_HISTORY_DAYS (default 90), in batches; each "
        "connection keeps its latest run, latest successful run and latest failed run. Closed "
        "incidents older than that go too. --dry-run prints what would be deleted."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, help="override SYNC_HISTORY_DAYS")
        parser.add_argument("--dry-run", action="store_true", help="count, delete nothing")
        parser.add_argument("--json", action="store_true")

    def handle(self, **options):
        if options["days"] is not None and options["days"] < 1:
            raise CommandError("--days must be at least 1", returncode=2)
        result = history.prune(days=options["days"], dry_run=options["dry_run"])
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict()))
            return
        verb = "would delete" if result.dry_run else "deleted"
        self.stdout.write(
            f"{verb} {result.runs} run(s) and {result.incidents} closed incident(s) from before "
            f"{result.cutoff:%Y-%m-%d %H:%M}; kept {result.kept} older run(s) as a connection's "
            "latest, latest successful or latest failed"
        )
