"""The HTTP surface for schedulers and monitors: trigger syncs, follow their runs, report health."""

import time

from django.db import DatabaseError
from django.http import JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from sync.models import SyncRun
from sync.ops.tokens import authenticate
from sync.run.health import connection_health
from sync.run.launcher import queue_runs, start_in_background
from sync.run.selection import UnknownSelection, enabled_connections
from sync.run.summary import batch_summary, run_summary

WAIT_LIMIT = 300  # seconds a trigger may hold its request open; proxies must allow as long
POLL_SECONDS = 0.25
BAD_WAIT = f"wait must be a whole number of seconds from 0 to {WAIT_LIMIT}."
UNFINISHED_NOTE = (
    "Runs not finished yet go on in the background; each status_url answers its run's summary "
    "(GET, same token) until its status is ok, partial, failed or skipped."
)


def error(status: int, code: str, message: str, **headers) -> JsonResponse:
    return JsonResponse({"error": code, "message": message}, status=status, headers=headers)


def unauthorized() -> JsonResponse:
    return error(
        401, "unauthorized", "Send Authorization: Bearer <token>.", **{"WWW-Authenticate": "Bearer"}
    )


def wait_seconds(text: str) -> int | None:
    """The N of ?wait=N: whole seconds from 0 to WAIT_LIMIT; None if it is anything else."""
    if text.isascii() and text.isdigit() and int(text) <= WAIT_LIMIT:
        return int(text)
    return None


@csrf_exempt  # bearer-token API: no cookies, so no cross-site request to forge
def trigger_sync(request, source: str | None = None):
    """POST: queue a run per connection and answer 202 with their status URLs.

    With ?wait=N it waits up to N seconds, and answers the summary (200, or 502 if a run
    failed) when every run has finished by then.
    """
    if request.method != "POST":
        return error(405, "method_not_allowed", "Use POST.", Allow="POST")
    if authenticate(request.headers.get("Authorization", "")) is None:
        return unauthorized()
    wait = wait_seconds(request.GET.get("wait", "0"))
    if wait is None:
        return error(400, "bad_request", BAD_WAIT)
    tenants = request.GET.getlist("tenant")
    try:
        connections = list(enabled_connections([source] if source else [], tenants))
    except UnknownSelection as exc:
        return error(404, "not_found", str(exc))
    runs = queue_runs(connections, trigger="api")
    start_in_background(runs)
    if wait and wait_for(runs, wait):
        return finished(request, runs)
    return unfinished(request, runs)


def wait_for(runs: list[SyncRun], seconds: int) -> bool:
    """Whether every run finished within `seconds`, whoever carries them out: the database says."""
    deadline = time.monotonic() + seconds
    pending = SyncRun.objects.filter(pk__in=[run.pk for run in runs])
    while pending.exclude(status__in=SyncRun.FINISHED).exists():
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_SECONDS)
    return True


def reloaded(runs: list[SyncRun]) -> list[SyncRun]:
    """The runs as they stand now, in the order they were queued."""
    found = SyncRun.objects.select_related("connection__tenant").in_bulk([run.pk for run in runs])
    return [found[run.pk] for run in runs]


def with_status_url(request, summary: dict) -> dict:
    url = reverse("api-run", args=[summary["run_id"]])
    return {**summary, "status_url": request.build_absolute_uri(url)}


def finished(request, runs: list[SyncRun]) -> JsonResponse:
    summary = batch_summary(reloaded(runs))
    summary["runs"] = [with_status_url(request, run) for run in summary["runs"]]
    return JsonResponse(summary, status=200 if summary["success"] else 502)


def unfinished(request, runs: list[SyncRun]) -> JsonResponse:
    """202: what is known of runs that go on in the background, and where to ask after them."""
    runs = reloaded(runs)
    body = {
        "queued": len(runs),
        "unfinished": sum(run.status not in SyncRun.FINISHED for run in runs),
        "run_ids": [str(run.pk) for run in runs],
        "runs": [with_status_url(request, run_summary(run)) for run in runs],
        "note": UNFINISHED_NOTE,
    }
    return JsonResponse(body, status=202)


def run_status(request, run_id):
    """GET: one run's summary, as the trigger's status URL promises it."""
    if request.method not in ("GET", "HEAD"):
        return error(405, "method_not_allowed", "Use GET.", Allow="GET, HEAD")
    if authenticate(request.headers.get("Authorization", "")) is None:
        return unauthorized()
    run = SyncRun.objects.select_related("connection__tenant").filter(pk=run_id).first()
    if run is None:
        return error(404, "not_found", f"There is no run {run_id}.")
    return JsonResponse({**run_summary(run), "finished": run.status in SyncRun.FINISHED})


def health(request):
    """200 when every enabled connection synced within twice its schedule, else 503.

    Anyone may ask how many connections are late or failing; which tenants and sources they
    are is told only to a valid API token.
    """
    if request.method not in ("GET", "HEAD"):
        return error(405, "method_not_allowed", "Use GET.", Allow="GET, HEAD")
    try:
        items = [h for h in connection_health() if h.state != "disabled"]
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    late = [name(h) for h in items if h.state == "late"]
    failing = [name(h) for h in items if h.state == "failing"]
    body = {"status": "ok" if not (late or failing) else "unhealthy", "connections": len(items)}
    body.update(late_count=len(late), failing_count=len(failing))
    if authenticate(request.headers.get("Authorization", "")):
        body.update(late=late, failing=failing, details=[h.as_dict() for h in items])
    return JsonResponse(body, status=200 if body["status"] == "ok" else 503)


def name(item) -> str:
    return f"{item.connection.tenant.slug}/{item.connection.source}"
