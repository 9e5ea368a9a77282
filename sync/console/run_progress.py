"""How far a run has come, as the run's page and the run list show it and poll it as JSON."""

from django.utils import formats, timezone

from sync.models import SyncRun
from sync.run.coverage import described
from sync.sources import registry


def when(moment) -> str:
    return formats.localize(timezone.localtime(moment)) if moment else ""


def duration_text(run: SyncRun) -> str:
    if run.duration is None:
        return ""
    return f"{run.duration.total_seconds():.1f} s"


def totals_text(run: SyncRun) -> str:
    totals, unread = run.totals(), run.not_fetched()
    names = ("created", "updated", "unchanged", "missing")
    parts = [f"{totals.get(name, 0)} {name}" for name in names] if totals else []
    if unread:
        labels = stream_labels(run)  # in the source's order: a JSON column may not keep it
        kinds = [
            *(kind for kind in labels if kind in unread),
            *(k for k in unread if k not in labels),
        ]
        parts.append("not fetched: " + ", ".join(labels.get(kind, kind) for kind in kinds))
    return " · ".join(parts)


def stream_labels(run: SyncRun) -> dict[str, str]:
    """Stream kind -> its label, in the source's order."""
    try:
        streams = registry.get(run.connection.source).streams()
    except LookupError:
        streams = ()
    return {stream.kind: stream.label or stream.kind for stream in streams}


def summary_text(run: SyncRun) -> str:
    """The totals of a finished run; how far an unfinished one has come."""
    if run.status in SyncRun.FINISHED:
        return totals_text(run)
    progress = run.progress or {}
    if not progress:
        return "waiting to start"
    return f"{progress.get('stage', '')}: {progress.get('records', 0)} records"


def count_rows(run: SyncRun) -> list[dict]:
    """The counts per stream in the source's order (a JSON column may not keep key order)."""
    labels = stream_labels(run)
    order = [*labels, *(kind for kind in run.counts if kind not in labels)]
    return [
        {"stream": labels.get(kind, kind), **run.counts[kind]}
        for kind in order
        if kind in run.counts
    ]


FETCH_SHARE = 90  # of the bar: fetching is most of a run, the write transaction the rest


def percent_done(run: SyncRun, progress: dict) -> int:
    """How far the bar is: the answers fetched of those needed, then writing, then done. A
    failed run keeps the bar where it stopped."""
    if run.status in (SyncRun.Status.OK, SyncRun.Status.PARTIAL, SyncRun.Status.SKIPPED):
        return 100
    stage = progress.get("stage", "")
    if stage == "fetched" or stage.startswith("writing"):
        return FETCH_SHARE + 5
    done, total = progress.get("answers_done", 0), progress.get("answers_total", 0)
    return FETCH_SHARE * min(done, total) // total if total else 0


def answers_text(progress: dict, finished: bool) -> str:
    done, total = progress.get("answers_done", 0), progress.get("answers_total", 0)
    if finished or not total or progress.get("stage") == "fetched":
        return ""
    return f"{done} of {total}"


def live_state(run: SyncRun) -> dict:
    """What the run page and the run list show of a run, and poll while it is not finished."""
    progress = run.progress or {}
    finished = run.status in SyncRun.FINISHED
    total = progress.get("streams_total") or len(run.counts)
    # The stored progress is flushed while fetching; the streams written are in the counts.
    done = len(run.counts) if finished and run.counts else progress.get("streams_done", 0)
    return {
        "id": str(run.pk),
        "status": run.status,
        "status_label": run.get_status_display(),
        "finished": finished,
        "stage": progress.get("stage") or run.get_status_display().lower(),
        "percent": percent_done(run, progress),
        "answers": answers_text(progress, finished),
        "streams": f"{done} of {total}" if total else "",
        "records": progress.get("records", 0),
        "requests": run.requests_made,
        "started": when(run.started_at),
        "finished_at": when(run.finished_at),
        "duration": duration_text(run),
        "totals": totals_text(run),
        "summary": summary_text(run),
        "counts": count_rows(run),
        "error": run.error_message,
        "coverage": described(run.coverage),
    }
