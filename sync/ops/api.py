"""The HTTP surface for schedulers and monitors: trigger syncs, report health."""

from django.conf import settings
from django.db import DatabaseError
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from sync.ops.tokens import authenticate
from sync.run.engine import sync_many
from sync.run.health import connection_health
from sync.run.launcher import queue_runs, start_in_background
from sync.run.selection import UnknownSelection, enabled_connections
from sync.run.summary import batch_summary


def error(status: int, code: str, message: str, **headers) -> JsonResponse:
    return JsonResponse({"error": code, "message": message}, status=status, headers=headers)


def unauthorized() -> JsonResponse:
    return error(
        401, "unauthorized", "Send Authorization: Bearer <token>.", **{"WWW-Authenticate": "Bearer"}
    )


@csrf_exempt  # bearer-token API: no cookies, so no cross-site request to forge
def trigger_sync(request, source: str | None = None):
    """POST: sync now and answer the summary; with ?wait=0 answer 202 with the run ids."""
    if request.method != "POST":
        return error(405, "method_not_allowed", "Use POST.", Allow="POST")
    if authenticate(request.headers.get("Authorization", "")) is None:
        return unauthorized()
    tenants = request.GET.getlist("tenant")
    try:
        connections = list(enabled_connections([source] if source else [], tenants))
    except UnknownSelection as exc:
        return error(404, "not_found", str(exc))
    # Celery workers run syncs elsewhere, so there is nothing to wait for here.
    if request.GET.get("wait") == "0" or settings.SYNC_EXECUTOR == "celery":
        runs = queue_runs(connections, trigger="api")
        start_in_background(runs)
        return JsonResponse({"queued": len(runs), "run_ids": [str(r.pk) for r in runs]}, status=202)
    runs = sync_many(connections, trigger="api", workers=settings.SYNC_WORKERS)
    summary = batch_summary(runs)
    return JsonResponse(summary, status=200 if summary["success"] else 502)


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
