"""Live progress of a run, written where the admin's run page can poll it.

Writes are throttled to one per `FLUSH_SECONDS` and left out when nothing moved since the last;
the lease is renewed with them once a third of its time has passed: a run that still reports
progress is alive, and renewing it more often would only cost a round trip.
"""

import time

from sync.models import SyncRun
from sync.run import lease

FLUSH_SECONDS = 0.5


class Progress:
    def __init__(self, run: SyncRun, streams_total: int) -> None:
        self.run = run
        self.state = {"stage": "starting", "streams_done": 0, "streams_total": streams_total}
        self.state["records"] = 0
        self.client = None
        self.requests_before = 0  # made by the logins read before the client's
        # The run was saved as starting, and its lease claimed, a moment ago.
        self._flushed = self._renewed = time.monotonic()
        self._stored = None  # what the run's row holds: (progress, requests made)

    def fetching(self, what: str, records: int, done: int = 0, total: int = 0) -> None:
        """The source's report callback: what it is fetching, how many records so far, and
        how many of the answers it needs it has (when it knows)."""
        self.state.update(stage=f"fetching {what}", records=records)
        self.state.update(answers_done=done, answers_total=total)
        self.flush()

    def fetched(self, records: int) -> None:
        """Everything is in: the count the run page shows from now on is every stream's."""
        self.state.update(stage="fetched", records=records)
        self.flush(force=True, renew=False)  # the write transaction renews it at once

    def writing(self, stream_label: str, streams_done: int) -> None:
        self.state.update(stage=f"writing {stream_label}", streams_done=streams_done)

    def flush(self, force: bool = False, renew: bool = True) -> None:
        now = time.monotonic()
        if not force and now - self._flushed < FLUSH_SECONDS:
            return
        self._flushed = now
        if self.client:
            requests = self.requests_before + self.client.requests_made
        else:
            requests = self.run.requests_made
        self.run.progress, self.run.requests_made = dict(self.state), requests
        if force or (self.run.progress, requests) != self._stored:
            SyncRun.objects.filter(pk=self.run.pk).update(
                progress=self.run.progress, requests_made=requests
            )
            self._stored = (self.run.progress, requests)
        if renew and now - self._renewed >= lease.ttl().total_seconds() / 3:
            lease.renew(self.run.connection_id, self.run.pk)
            self._renewed = now
