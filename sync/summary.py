"""The summary of a batch of runs, as `sync_sources --json` and the HTTP trigger print it."""

from .models import SyncRun


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
        "requests": run.requests_made,
        "duration_ms": round(duration.total_seconds() * 1000) if duration else None,
        "error": run.error_message or None,
    }


def batch_summary(runs: list[SyncRun]) -> dict:
    failed = [run for run in runs if run.status == SyncRun.Status.FAILED]
    return {
        "success": not failed,
        "tenants_processed": len({run.connection.tenant_id for run in runs}),
        "total_syncs": len(runs),
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
