import json
import sys

from django.core.management.base import BaseCommand

from sync.run.health import connection_health


class Command(BaseCommand):
    help = (
        "Per connection: state (ok, late, failing, never, disabled), last success, last status "
        "and the success rate over 24 hours. Exits 1 when an enabled connection is late or "
        "failing, 2 when it cannot look (the database unreachable or not migrated, a "
        "configuration error), so any monitor can run it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true")

    def handle(self, **options):
        health = connection_health()
        if options["json"]:
            self.stdout.write(json.dumps([h.as_dict() for h in health], indent=2))
        else:
            for item in health:
                self.stdout.write(line(item.as_dict()))
        if any(h.needs_attention for h in health):
            sys.exit(1)


def line(item: dict) -> str:
    rate = item["success_rate_24h"]
    rate_text = f"{rate:.0%}" if rate is not None else "–"
    running = " (running)" if item["running"] else ""
    coverage = item["coverage"]
    if coverage and coverage["state"] == "partial":
        running += "  partial coverage: " + "; ".join(coverage["gaps"][:3])
    who = f"{item['tenant']}/{item['source']}"
    return (
        f"{item['state']:<9} {who:<32} last success {item['last_success_at'] or 'never'}  "
        f"last status {item['last_status'] or '–'}  24h success {rate_text}{running}"
    )
