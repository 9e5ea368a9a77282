"""Statements that write many rows at once: the fastest way in each database offers.

PostgreSQL takes rows by COPY: new rows straight into their table, changed values into a
temporary table that one UPDATE ... FROM then applies. Other databases (SQLite) take new rows
through `bulk_create` and changed values through UPDATE ... FROM (VALUES ...). No statement's
size grows with the rows, and rows are handed over a batch at a time, so the caller never
needs to hold more than one batch.
"""

from datetime import date, datetime
from itertools import count

from django.db import connection as db
from django.db.models import Field

SQLITE_MAX_PARAMS = 30000
VALUES_ROWS = 1000  # rows per UPDATE ... FROM (VALUES ...)
_tables = count()  # distinct names for the temporary tables of one connection


def insert_rows(model, rows: list[dict], *, ids_needed: bool = True) -> list[int]:
    """Insert rows given as {attname: value}, all with the same names; return their ids in
    order (when `ids_needed`)."""
    if not rows:
        return []
    if db.vendor == "postgresql":
        return insert_rows_by_copy(model, rows, ids_needed)
    objects = [model(**row) for row in rows]
    model.objects.bulk_create(objects)
    return [obj.pk for obj in objects]


def insert_rows_by_copy(model, rows: list[dict], ids_needed: bool) -> list[int]:
    """COPY straight into the table: the ids are drawn from the table's own sequence first
    when the caller needs them, and fields not given get their defaults."""
    quote = db.ops.quote_name
    pk = model._meta.pk
    given = rows[0].keys()
    fields = [f for f in model._meta.concrete_fields if f is not pk or ids_needed]
    defaults = {f.attname: f.get_default() for f in fields if f.attname not in given}
    columns = ", ".join(quote(f.column) for f in fields)
    # per column: the row's own value, the next id, or the field's default
    plan = [(f, f.attname, f is pk, f.attname in given) for f in fields]
    with db.wrap_database_errors, db.cursor() as cursor:
        ids = next_ids(cursor, model, len(rows)) if ids_needed else [None] * len(rows)
        sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
        with cursor.cursor.copy(sql) as copy:
            for row, row_id in zip(rows, ids, strict=True):
                copy.write_row(
                    [
                        row_id
                        if is_pk
                        else prepared_for_copy(f, row[name] if own else defaults[name])
                        for f, name, is_pk, own in plan
                    ]
                )
    return ids if ids_needed else []


def next_ids(cursor, model, how_many: int) -> list[int]:
    """Ids from the table's own sequence, as the rows would have drawn them."""
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
        [db.ops.quote_name(model._meta.db_table), model._meta.pk.column, how_many],
    )
    return [row[0] for row in cursor.fetchall()]


class RowUpdates:
    """New values for rows of one table, by primary key, handed over a batch at a time with
    `add` and in effect once `apply` has run. Call both inside a transaction: if anything
    fails, its rollback takes PostgreSQL's temporary table with it."""

    def __init__(self, model, fields: list[Field]) -> None:
        self.model, self.fields = model, fields
        self.temporary = ""  # PostgreSQL: the table the values wait in

    def add(self, rows: list[tuple[int, list]]) -> None:
        if not rows:
            return
        if db.vendor != "postgresql":
            update_rows_from_values(self.model, self.fields, rows)
            return
        with db.wrap_database_errors, db.cursor() as cursor:
            if not self.temporary:
                self.temporary = f"edurpg_changed_{next(_tables)}"
                cursor.execute(f"CREATE TEMPORARY TABLE {self.temporary} ({self.columns()})")
            with cursor.cursor.copy(f"COPY {self.temporary} FROM STDIN") as copy:
                for pk_value, values in rows:
                    copy.write_row([pk_value, *map(prepared_for_copy, self.fields, values)])

    def apply(self) -> None:
        if not self.temporary:
            return
        quote = db.ops.quote_name
        table, pk = quote(self.model._meta.db_table), quote(self.model._meta.pk.column)
        sets = ", ".join(f"{quote(f.column)} = v.c{i}" for i, f in enumerate(self.fields))
        with db.wrap_database_errors, db.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS t SET {sets} FROM {self.temporary} AS v WHERE t.{pk} = v.pk"  # noqa: S608
            )
            cursor.execute(f"DROP TABLE {self.temporary}")
        self.temporary = ""

    def columns(self) -> str:
        pk_type = self.model._meta.pk.rel_db_type(db)
        typed = (f"c{i} {f.db_type(db)}" for i, f in enumerate(self.fields))
        return ", ".join([f"pk {pk_type}", *typed])


def prepared(field: Field, value):
    return value if value is None or type(value) in PLAIN else field.get_db_prep_save(value, db)


# Values the driver takes as they are; dates, times and decimals still go through their field.
PLAIN = {str, int, bool}


def prepared_for_copy(field: Field, value):
    """PostgreSQL takes dates and aware datetimes as they are, as Django's own adapter does."""
    if type(value) is datetime and value.tzinfo is not None or type(value) is date:
        return value
    return prepared(field, value)


def update_rows_from_values(model, fields: list[Field], rows: list[tuple[int, list]]) -> None:
    """UPDATE ... FROM (VALUES ...), as many rows per statement as SQLite's parameters allow."""
    quote = db.ops.quote_name
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    per_statement = max(1, min(VALUES_ROWS, SQLITE_MAX_PARAMS // (len(fields) + 1)))
    row_sql = "(" + ", ".join(["%s"] * (len(fields) + 1)) + ")"
    sets = ", ".join(f"{quote(f.column)} = v.column{i + 2}" for i, f in enumerate(fields))
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        params = []
        for pk_value, values in chunk:
            params.append(pk_value)
            params.extend(prepared(f, v) for f, v in zip(fields, values, strict=True))
        source = f"(VALUES {', '.join([row_sql] * len(chunk))}) AS v"
        sql = f"UPDATE {table} AS t SET {sets} FROM {source} WHERE t.{pk} = v.column1"  # noqa: S608
        with db.cursor() as cursor:
            cursor.execute(sql, params)
