"""The log events of a run: sync_start, sync_ok, sync_fail, sync_skip.

Each carries the run id, tenant and source as structured fields (JSON lines with
LOG_FORMAT=json) and repeats them in the message for plain-text logs.
"""

import logging

from django.dispatch import Signal

log = logging.getLogger("sync.run.events")

# Sent once a run's outcome is stored (after the commit that stores it), with `run`: the
# alerts open and close incidents on it.
run_finished = Signal()


def emit(event: str, run, level: int = logging.INFO, **fields) -> None:
    connection = run.connection
    data = {
        "run_id": str(run.pk),
        "tenant": connection.tenant.slug,
        "source": connection.source,
        "trigger": run.trigger,
        **fields,
    }
    text = " ".join(f"{key}={value}" for key, value in data.items())
    log.log(level, "%s %s", event, text, extra={"event": event, **data})
