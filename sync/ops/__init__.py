"""The machine surface: the HTTP trigger and health endpoints, API tokens, the cron job, the
Celery tasks and the JSON log format. A thin shell over the run; commands live in
sync/management/commands/.
"""
