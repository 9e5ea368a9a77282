"""The Celery app of SYNC_EXECUTOR=celery (docs/scaling.md).

`celery -A edurpg worker` runs syncs; `celery -A edurpg beat` queues every enabled connection on
SYNC_SCHEDULE, as cron would. Only Celery's command line and sync.ops.celery_tasks import this
module, so a deployment on the default executor never imports Celery. Its configuration is the
CELERY_* block of edurpg/settings.py.
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edurpg.settings")

from django.conf import settings  # noqa: E402 - needs the settings module named first
from django.core.exceptions import ImproperlyConfigured  # noqa: E402

if not settings.CELERY_BROKER_URL:
    # Celery would otherwise fall back to a guest broker on localhost and wait there forever.
    raise ImproperlyConfigured("CELERY_BROKER_URL is not set (see docs/scaling.md)")

app = Celery("edurpg", include=["sync.ops.celery_tasks"])
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.beat_schedule = {
    "sync-enabled-connections": {
        "task": "sync.queue_enabled_connections",
        "schedule": crontab.from_string(settings.SYNC_SCHEDULE),
    },
    "sync-housekeeping": {
        "task": "sync.housekeeping",
        "schedule": crontab.from_string(settings.SYNC_HOUSEKEEPING_SCHEDULE),
    },
}
