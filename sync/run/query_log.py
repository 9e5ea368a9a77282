"""Django's DEBUG query log, kept from growing with a sync's records.

With DEBUG on (the development `.env`), every statement is kept with its parameters spelled
out, up to 9,000 per database connection. A sync's batch statements carry a thousand rows
each, so a large sync would hold tens of megabytes of SQL text for as long as the process
lives, and DEBUG on and off would need different memory. The log keeps every entry (so counts
taken with `CaptureQueriesContext` stay exact) but only the start of a long statement.
"""

from collections import deque

from django.db import connection as db

KEPT_CHARACTERS = 2000


class ShortQueryLog(deque):
    def append(self, entry: dict) -> None:
        sql = entry.get("sql")
        if isinstance(sql, str) and len(sql) > KEPT_CHARACTERS:
            entry = {**entry, "sql": f"{sql[:KEPT_CHARACTERS]}… ({len(sql):,} characters)"}
        super().append(entry)


def keep_short() -> None:
    """Shorten what this thread's database connection logs from now on."""
    if not isinstance(db.queries_log, ShortQueryLog):
        db.queries_log = ShortQueryLog(db.queries_log, maxlen=db.queries_log.maxlen)
