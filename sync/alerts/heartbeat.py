"""The dead-man's switch: every scheduled round pings SYNC_HEARTBEAT_URL, so a monitor outside
(healthchecks.io or any check of the same kind) notices when the rounds stop. `/start` as a
round begins, the address itself when it ends, `/fail` with the summary when it could not do its
work. A ping that fails is logged, never fatal: the syncs matter more than their monitor."""

import logging

import httpx
from django.conf import settings

log = logging.getLogger(__name__)

TIMEOUT = 10.0
SUFFIX = {"start": "/start", "success": "", "fail": "/fail"}


def ping(stage: str, summary: str = "") -> bool:
    """Tell the check `stage` ("start", "success", "fail"); False if not configured or failed."""
    base = settings.SYNC_HEARTBEAT_URL.rstrip("/")
    if not base:
        return False
    try:
        body = summary.encode()[:10_000]
        response = httpx.post(base + SUFFIX[stage], content=body, timeout=TIMEOUT)
    except httpx.HTTPError as error:
        log.warning("heartbeat %s not delivered: %s", stage, type(error).__name__)
        return False
    if response.status_code >= 400:
        log.warning("heartbeat %s not delivered: HTTP %s", stage, response.status_code)
        return False
    return True
