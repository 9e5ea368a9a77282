"""The summary of a batch of runs, as `sync_sources --json` and the HTTP trigger print it."""

from sync.models import SyncRun
from sync.run.coverage import described

QUEUED_NOTE = (
    "Queued runs are carried out by the workers; their outcomes are in the run history "
    "(the admin's sync runs, `manage.py sync_status`)."
)


def run_summary(run: SyncRun) -> dict:
    duration = run.duration
    return {
        "run_id": str(run.pk),
        "tenant": run.connection.tenant.slug,
        "source": run.connection.source,
        "status": run.status,
        "trigger": run.trigger,
        "dry_run": run.dry_run,
        "counts": run.counts,
        "not_fetched": run.not_fetched(),
        "coverage": described(run.coverage),
        "requests": run.requests_made,
        "duration_ms": round(duration.total_seconds() * 1000) if duration else None,
        "error": run.error_message or None,
    }


def batch_summary(runs: list[SyncRun]) -> dict:
    """`success` means nothing failed so far: runs still queued are counted apart, not as done."""
    failed = [run for run in runs if run.status == SyncRun.Status.FAILED]
    queued = sum(run.status == SyncRun.Status.QUEUED for run in runs)
    summary = {
        "success": not failed,
        "tenants_processed": len({run.connection.tenant_id for run in runs}),
        "total_syncs": len(runs) - queued,
        "queued": queued,
        "failed_tenants": [
            {
                "tenant": run.connection.tenant.slug,
                "source": run.connection.source,
                "error": run.error_message,
            }
            for run in failed
        ],
        "runs": [run_summary(run) for run in runs],
    }
    if queued:
        summary["note"] = QUEUED_NOTE
    return summary
