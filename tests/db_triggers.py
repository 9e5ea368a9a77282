"""Real database faults: triggers that refuse writes, on SQLite and PostgreSQL alike."""

from contextlib import contextmanager

from django.db import connection as db


@contextmanager
def refusing(table: str, message: str, *, column: str = ""):
    """Every INSERT or UPDATE of `table` fails with `message`; with `column`, only an UPDATE
    that changes that column. The trigger is dropped afterwards, so a test that commits (a
    transactional test, a real process) leaves no trace for the next one."""
    with db.cursor() as cursor:
        for statement in create_statements(table, message, column):
            cursor.execute(statement)
    try:
        yield
    finally:
        with db.cursor() as cursor:
            for statement in drop_statements(table):
                cursor.execute(statement)


def create_statements(table: str, message: str, column: str) -> list[str]:
    if db.vendor == "postgresql":
        when = f"WHEN (NEW.{column} IS DISTINCT FROM OLD.{column}) " if column else ""
        verbs = "UPDATE" if column else "INSERT OR UPDATE"
        return [
            "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
            f"RAISE EXCEPTION '{message}'; END $$ LANGUAGE plpgsql",
            f"CREATE TRIGGER refuse BEFORE {verbs} ON {table} FOR EACH ROW {when}"
            "EXECUTE FUNCTION refuse()",
        ]
    if column:
        return [
            f"CREATE TRIGGER refuse_UPDATE BEFORE UPDATE OF {column} ON {table} "
            f"WHEN NEW.{column} IS NOT OLD.{column} BEGIN SELECT RAISE(ABORT, '{message}'); END"
        ]
    return [
        f"CREATE TRIGGER refuse_{verb} BEFORE {verb} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
        for verb in ("INSERT", "UPDATE")
    ]


def drop_statements(table: str) -> list[str]:
    if db.vendor == "postgresql":
        return [f"DROP TRIGGER IF EXISTS refuse ON {table}", "DROP FUNCTION IF EXISTS refuse()"]
    return [f"DROP TRIGGER IF EXISTS refuse_{verb}" for verb in ("INSERT", "UPDATE")]
