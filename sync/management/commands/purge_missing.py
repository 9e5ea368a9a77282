import json

from django.core.management.base import BaseCommand

from sync.housekeeping import purge


class Command(BaseCommand):
    help = (
        "Delete mirrored records missing upstream for longer than their tenant's purge period "
        "(SYNC_PURGE_MISSING_DAYS, default 365, or the tenant's own; 0 never), with their "
        "references, in batches, each connection under its lease (one syncing now is left for "
        "next time). --dry-run prints what would be deleted."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count, delete nothing")
        parser.add_argument("--json", action="store_true")

    def handle(self, **options):
        result = purge.purge_missing(dry_run=options["dry_run"])
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict()))
            return
        verb = "would purge" if result.dry_run else "purged"
        self.stdout.write(f"{verb} {result.total} record(s) missing upstream")
        for name, count in sorted(result.records.items()):
            self.stdout.write(f"  {name}: {count}")
        for name in result.busy:
            self.stdout.write(f"  {name}: syncing now, left for next time")
