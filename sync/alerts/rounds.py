"""What a round of syncs does besides syncing: the heartbeat of a scheduled round, and the
alerts tick after every round (late connections, reminders, due messages)."""

import logging
from datetime import datetime

from django.utils import timezone

from sync.alerts import heartbeat, incidents, notices
from sync.models import SyncRun

log = logging.getLogger(__name__)


def tick(now: datetime | None = None) -> dict[str, int]:
    """Open incidents for late connections, make reminders due, send what is due. Never raises:
    each part is tried on its own, and what failed is logged."""
    now = now or timezone.now()
    done = {"late_opened": 0, "reminders": 0, "sent": 0}
    for name, part in (
        ("late_opened", lambda: len(incidents.open_late(now))),
        ("reminders", lambda: notices.remind(now)),
        ("sent", lambda: notices.deliver_due(now)),
    ):
        try:
            done[name] = part()
        except Exception:
            log.exception("alerts tick: %s failed", name)
    return done


class Round:
    """Around one round of syncs: `start()` before, `finish(runs)` after."""

    def __init__(self, trigger: str) -> None:
        self.scheduled = trigger == SyncRun.Trigger.CRON

    def start(self) -> None:
        if self.scheduled:
            heartbeat.ping("start")

    def finish(self, runs: list[SyncRun], note: str = "") -> dict[str, int]:
        done = tick()
        if self.scheduled:
            failed = [run for run in runs if run.status == SyncRun.Status.FAILED]
            # The check is about the scheduler: it fails when the round could do nothing, not
            # when one school's password is wrong (its incident tells that school).
            stage = "fail" if runs and len(failed) == len(runs) else "success"
            heartbeat.ping(stage, summary(runs, failed, note))
        return done

    def crashed(self, error: BaseException) -> None:
        if self.scheduled:
            heartbeat.ping("fail", f"The round stopped: {type(error).__name__}: {error}"[:500])


def summary(runs: list[SyncRun], failed: list[SyncRun], note: str = "") -> str:
    lines = [note or f"{len(runs)} sync(s), {len(failed)} failed"]
    for run in failed[:20]:
        first = run.error_message.strip().splitlines()[0] if run.error_message.strip() else ""
        lines.append(f"{run.connection.tenant.slug}/{run.connection.source}: {first[:200]}")
    return "\n".join(lines)
