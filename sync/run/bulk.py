"""Statements that write many rows at once: the fastest way in each database offers.

PostgreSQL takes rows by COPY into a temporary table, from which one statement per table
inserts the new rows or updates the changed ones (as the fastest raw SQL does). Other
databases (SQLite) take new rows through `bulk_create` and changed values through UPDATE ...
FROM (VALUES ...). No statement's size grows with the rows, and rows are handed over a batch at
a time, so the caller never needs to hold more than one batch.
"""

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, datetime
from itertools import count
from typing import Any

from django.db import connection as db
from django.db.models import Field

SQLITE_MAX_PARAMS = 30000
VALUES_ROWS = 1000  # rows per UPDATE ... FROM (VALUES ...)
_tables = count()  # distinct names for the temporary tables of one connection


def insert_rows(
    model, names: tuple[str, ...], rows: list[tuple], *, ids_needed: bool = True
) -> list[int]:
    """Insert rows given as tuples of the fields `names` (attnames) with `bulk_create`; return
    their ids in order (when `ids_needed`). Fields not named get their defaults."""
    objects = [model(**dict(zip(names, row, strict=True))) for row in rows]
    model.objects.bulk_create(objects)
    return [obj.pk for obj in objects] if ids_needed else []


@dataclass(frozen=True)
class Target:
    """A table to update: `fields` take each row's own values, the fields named in `same` one
    value for all rows, sent once rather than with every row."""

    model: type
    fields: list[Field]
    same: dict[str, Any] = dataclass_field(default_factory=dict)


class RowUpdates:
    """New values for rows of one or more tables, by primary key, handed over a batch at a
    time with `add` and in effect once `apply` has run: each row holds a (pk, values) pair per
    target, so the rows of a record and of its ref travel together. Call both inside a
    transaction: if anything fails, its rollback takes PostgreSQL's temporary table with it."""

    def __init__(self, *targets: Target) -> None:
        self.targets = targets
        self.temporary = ""  # PostgreSQL: the table the values wait in

    def add(self, rows: list[tuple[tuple[int, tuple], ...]]) -> None:
        if not rows:
            return
        if db.vendor != "postgresql":
            for number, target in enumerate(self.targets):
                part = [row[number] for row in rows]
                update_rows_from_values(target.model, target.fields, part, target.same)
            return
        converters = [needing_preparation(target.fields) for target in self.targets]
        with db.wrap_database_errors, db.cursor() as cursor:
            if not self.temporary:
                self.temporary = f"edurpg_changed_{next(_tables)}"
                cursor.execute(f"CREATE TEMPORARY TABLE {self.temporary} ({self.columns()})")
            with cursor.cursor.copy(f"COPY {self.temporary} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(
                        [
                            value
                            for (pk, values), prepare in zip(row, converters, strict=True)
                            for value in (pk, *prepared_row(values, prepare))
                        ]
                    )

    def apply(self) -> None:
        if not self.temporary:
            return
        with db.wrap_database_errors, db.cursor() as cursor:
            for number, target in enumerate(self.targets):
                cursor.execute(*self.update_from_temporary(number, target))
            cursor.execute(f"DROP TABLE {self.temporary}")
        self.temporary = ""

    def update_from_temporary(self, number: int, target: Target) -> tuple[str, list]:
        quote = db.ops.quote_name
        table, pk = quote(target.model._meta.db_table), quote(target.model._meta.pk.column)
        sets = [f"{quote(f.column)} = v.c{number}_{i}" for i, f in enumerate(target.fields)]
        same_sets, params = same_values(target.model, target.same)
        sql = (
            f"UPDATE {table} AS t SET {', '.join([*sets, *same_sets])} "  # noqa: S608
            f"FROM {self.temporary} AS v WHERE t.{pk} = v.pk{number}"
        )
        return sql, params

    def columns(self) -> str:
        columns = []
        for number, target in enumerate(self.targets):
            columns.append(f"pk{number} {target.model._meta.pk.rel_db_type(db)}")
            columns += (f"c{number}_{i} {f.db_type(db)}" for i, f in enumerate(target.fields))
        return ", ".join(columns)


class NewRows:
    """New rows of one table, each with a row of a second table pointing at it (a record and
    its ExternalRef), handed over a batch at a time with `add` and in the tables once `apply`
    has run. Each row is (the row's values, the pointer's values); the first of the row's
    fields is its key, which the pointer takes too.

    PostgreSQL: the rows are COPYed into a temporary table as they come, then one statement
    inserts both tables from it, as the fastest raw SQL does. Elsewhere: `bulk_create` a batch
    at a time.
    """

    def __init__(self, row: Target, pointer: Target, *, points_by: str) -> None:
        self.row, self.pointer, self.points_by = row, pointer, points_by
        self.key = row.fields[0]
        self.temporary = ""  # PostgreSQL: the table the rows wait in
        self.inserted: list[tuple[str, int]] = []  # elsewhere: (key, id) of the rows so far

    def add(self, rows: list[tuple[tuple, tuple]]) -> None:
        if not rows:
            return
        if db.vendor != "postgresql":
            self.insert_now(rows)
            return
        converters = needing_preparation([*self.row.fields, *self.pointer.fields])
        with db.wrap_database_errors, db.cursor() as cursor:
            if not self.temporary:
                self.temporary = f"edurpg_new_{next(_tables)}"
                cursor.execute(f"CREATE TEMPORARY TABLE {self.temporary} ({self.columns()})")
            with cursor.cursor.copy(f"COPY {self.temporary} FROM STDIN") as copy:
                for values, pointer_values in rows:
                    copy.write_row(prepared_row((*values, *pointer_values), converters))

    def insert_now(self, rows: list[tuple[tuple, tuple]]) -> None:
        row, pointer = self.row, self.pointer
        names = (*(f.attname for f in row.fields), *row.same)
        ids = insert_rows(row.model, names, [(*values, *row.same.values()) for values, _ in rows])
        names = (self.points_by, self.key.attname, *(f.attname for f in pointer.fields))
        pointers = [
            (row_id, values[0], *pointer_values, *pointer.same.values())
            for row_id, (values, pointer_values) in zip(ids, rows, strict=True)
        ]
        insert_rows(pointer.model, (*names, *pointer.same), pointers, ids_needed=False)
        self.inserted += (
            (values[0], row_id) for row_id, (values, _) in zip(ids, rows, strict=True)
        )

    def apply(self, *, ids_wanted: bool) -> list[tuple[str, int]]:
        """Insert what waits; the (key, id) of every row added, when wanted."""
        inserted, self.inserted = self.inserted, []
        if not self.temporary:
            return inserted if ids_wanted else []
        with db.wrap_database_errors, db.cursor() as cursor:
            cursor.execute(*self.insert_from_temporary(ids_wanted))
            inserted = cursor.fetchall() if ids_wanted else []
            cursor.execute(f"DROP TABLE {self.temporary}")
        self.temporary = ""
        return inserted

    def insert_from_temporary(self, ids_wanted: bool) -> tuple[str, list]:
        quote, row, pointer = db.ops.quote_name, self.row, self.pointer
        pk, key = quote(row.model._meta.pk.column), quote(self.key.column)
        row_same, row_params = typed_values(row.model, row.same)
        rest = [
            f
            for f in row.model._meta.concrete_fields
            if not f.primary_key and f not in row.fields and f.attname not in row.same
        ]
        defaults = {f.attname: f.get_default() for f in rest}
        default_values, default_params = typed_values(row.model, defaults)
        row_columns = [*row.fields, *fields_named(row.model, row.same), *rest]
        pointer_same, pointer_params = typed_values(pointer.model, pointer.same)
        pointer_columns = [
            pointer.model._meta.get_field(self.points_by),
            pointer.model._meta.get_field(self.key.attname),
            *pointer.fields,
            *fields_named(pointer.model, pointer.same),
        ]
        own = [f"v.r{i}" for i in range(len(row.fields))]
        pointed = [f"v.p{i}" for i in range(len(pointer.fields))]
        sql = (
            f"WITH new AS (INSERT INTO {quote(row.model._meta.db_table)} "  # noqa: S608
            f"({column_list(row_columns)}) "
            f"SELECT {', '.join([*own, *row_same, *default_values])} FROM {self.temporary} AS v "
            f"RETURNING {key}, {pk}), "
            f"pointers AS (INSERT INTO {quote(pointer.model._meta.db_table)} "
            f"({column_list(pointer_columns)}) "
            f"SELECT {', '.join([f'new.{pk}', f'new.{key}', *pointed, *pointer_same])} "
            f"FROM new JOIN {self.temporary} AS v ON v.r0 = new.{key}) "
            + (f"SELECT {key}, {pk} FROM new" if ids_wanted else "SELECT count(*) FROM new")  # noqa: S608
        )
        return sql, [*row_params, *default_params, *pointer_params]

    def columns(self) -> str:
        typed = [f"r{i} {f.db_type(db)}" for i, f in enumerate(self.row.fields)]
        typed += (f"p{i} {f.db_type(db)}" for i, f in enumerate(self.pointer.fields))
        return ", ".join(typed)


def fields_named(model, values: dict[str, Any]) -> list[Field]:
    return [model._meta.get_field(name) for name in values]


def column_list(fields: list[Field]) -> str:
    return ", ".join(db.ops.quote_name(f.column) for f in fields)


def typed_values(model, values: dict[str, Any]) -> tuple[list[str], list]:
    """Placeholders cast to their columns' types, and their parameters."""
    fields = fields_named(model, values)
    placeholders = [f"CAST(%s AS {f.db_type(db)})" for f in fields]
    return placeholders, [prepared(f, values[name]) for name, f in zip(values, fields, strict=True)]


def prepared(field: Field, value):
    return value if value is None or type(value) in PLAIN else field.get_db_prep_save(value, db)


# Values the driver takes as they are; dates, times and decimals still go through their field.
PLAIN = {str, int, bool}


def prepared_for_copy(field: Field, value):
    """PostgreSQL takes dates and aware datetimes as they are, as Django's own adapter does."""
    if type(value) is datetime and value.tzinfo is not None or type(value) is date:
        return value
    return prepared(field, value)


# Fields whose values the COPY takes as the source gives them (text, numbers, flags, ids):
# preparing each of a hundred thousand values through its field cost more than the COPY.
COPIED_AS_GIVEN = {
    "CharField",
    "TextField",
    "SlugField",
    "EmailField",
    "URLField",
    "BooleanField",
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "PositiveIntegerField",
    "PositiveBigIntegerField",
    "PositiveSmallIntegerField",
    "ForeignKey",
    "AutoField",
    "BigAutoField",
}


def needing_preparation(fields: list[Field]) -> list[tuple[int, Field]]:
    """The columns whose values go through their field first (times, decimals, JSON...)."""
    return [(i, f) for i, f in enumerate(fields) if f.get_internal_type() not in COPIED_AS_GIVEN]


def prepared_row(values, converters: list[tuple[int, Field]]):
    if not converters:
        return values
    values = list(values)
    for index, field in converters:
        values[index] = prepared_for_copy(field, values[index])
    return values


def same_values(model, same: dict[str, Any]) -> tuple[list[str], list]:
    """SET clauses giving every row the same values, and their parameters."""
    placeholders, params = typed_values(model, same)
    columns = (db.ops.quote_name(f.column) for f in fields_named(model, same))
    return [
        f"{column} = {value}" for column, value in zip(columns, placeholders, strict=True)
    ], params


def update_rows_from_values(
    model, fields: list[Field], rows: list[tuple[int, list]], same: dict[str, Any]
) -> None:
    """UPDATE ... FROM (VALUES ...), as many rows per statement as SQLite's parameters allow."""
    quote = db.ops.quote_name
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    per_statement = max(1, min(VALUES_ROWS, SQLITE_MAX_PARAMS // (len(fields) + 1)))
    row_sql = "(" + ", ".join(["%s"] * (len(fields) + 1)) + ")"
    sets = [f"{quote(f.column)} = v.column{i + 2}" for i, f in enumerate(fields)]
    same_sets, same_params = same_values(model, same)
    sets = ", ".join([*sets, *same_sets])
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        params = []
        for pk_value, values in chunk:
            params.append(pk_value)
            params.extend(prepared(f, v) for f, v in zip(fields, values, strict=True))
        source = f"(VALUES {', '.join([row_sql] * len(chunk))}) AS v"
        sql = f"UPDATE {table} AS t SET {sets} FROM {source} WHERE t.{pk} = v.column1"  # noqa: S608
        with db.cursor() as cursor:
            cursor.execute(sql, [*same_params, *params])
