"""Running syncs against in-process sandboxes and looking at what they wrote."""

import httpx
from django.apps import apps
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from sync.models import ExternalRef
from sync.run.engine import sync_connection

MIRROR_APPS = ("bakalari", "sari")


def mirror_tables() -> set[str]:
    tables = {ExternalRef._meta.db_table}
    for label in MIRROR_APPS:
        tables |= {model._meta.db_table for model in apps.get_app_config(label).get_models()}
    return tables


def run_sync(connection, sandbox, **options):
    """One sync of `connection` against `sandbox`, in-process, as the command would run it."""
    options.setdefault("trigger", "cli")
    return sync_connection(connection, transport=httpx.WSGITransport(app=sandbox), **options)


def written_tables(queries) -> list[str]:
    """The tables the INSERT, UPDATE and DELETE statements among `queries` wrote to."""
    tables = []
    for query in queries:
        sql = query["sql"]
        verb = sql.lstrip().split(" ", 1)[0].upper()
        if verb == "INSERT":
            tables.append(sql.split("INTO", 1)[1].split()[0].strip('"'))
        elif verb == "UPDATE":
            tables.append(sql.split()[1].strip('"'))
        elif verb == "DELETE":
            tables.append(sql.split("FROM", 1)[1].split()[0].strip('"'))
    return tables


def sync_writing(connection, sandbox, **options):
    """Sync and return (run, the mirrored tables it wrote to, one entry per statement)."""
    with CaptureQueriesContext(db) as captured:
        run = run_sync(connection, sandbox, **options)
    mirrored = mirror_tables()
    return run, [t for t in written_tables(captured.captured_queries) if t in mirrored]


def snapshot(tenant) -> dict:
    """Every mirrored row and external ref of `tenant`, as plain values, to compare later."""
    state = {}
    for label in MIRROR_APPS:
        for model in apps.get_app_config(label).get_models():
            rows = model.objects.filter(tenant=tenant).order_by("pk").values()
            state[model._meta.label] = list(rows)
    refs = ExternalRef.objects.filter(tenant=tenant).order_by("pk").values()
    state["refs"] = list(refs)
    return state
