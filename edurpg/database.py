"""Why a command could not use the database, in one line an operator can act on.

Asked after a command failed with a database error: a server that is down, a database that does
not exist or is not migrated is the operator's to fix and is said so (manage.py exits 2); any
other error is the command's own and keeps its traceback.
"""

from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor


def database_problem(migrating: bool = False) -> str | None:
    """What is wrong with the configured database, or None when nothing is."""
    connection.close()  # whatever state the failed command left it in
    try:
        connection.ensure_connection()
    except DatabaseError as exc:
        return f"cannot connect to the database {where()}: {reason(exc)}"
    if not migrating and pending_migrations():
        return f"the database {where()} is not migrated: run manage.py migrate"
    return None


def pending_migrations() -> list:
    executor = MigrationExecutor(connection)
    return executor.migration_plan(executor.loader.graph.leaf_nodes())


def where() -> str:
    """The database's name and server, never its password."""
    params = connection.settings_dict
    if connection.vendor == "sqlite":
        return str(params["NAME"])
    return f"{params['NAME']} at {params['HOST'] or 'localhost'}:{params['PORT'] or 5432}"


def reason(exc: DatabaseError) -> str:
    """The driver's first line, less what `where` already says."""
    lines = str(exc).strip().splitlines() or [type(exc).__name__]
    text = lines[0].rpartition(" failed: ")[2].removeprefix("FATAL:").strip()
    password = connection.settings_dict.get("PASSWORD")
    return text.replace(password, "***") if password else text
