import json

from django.core.management.base import BaseCommand

from sync.alerts.rounds import tick


class Command(BaseCommand):
    help = (
        "The alerts tick for any scheduler: open incidents for connections with no success "
        "within the late threshold (runs or no runs), make reminders due, and send every due "
        "message. Every scheduled sync round does the same; run this where rounds may stop."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true")

    def handle(self, **options):
        done = tick()
        if options["json"]:
            self.stdout.write(json.dumps(done))
        else:
            self.stdout.write(
                f"{done['late_opened']} late incident(s) opened, {done['reminders']} "
                f"reminder(s) due, {done['sent']} message(s) sent"
            )
