from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from tenants import crypto
from tenants.fields import EncryptedJSONField


def encrypted_columns():
    """(model, [encrypted fields]) for every installed model that has any."""
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedJSONField)]
        if fields:
            yield model, fields


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret under the newest key of FIELD_ENCRYPTION_KEYS. "
        "Run it after putting a new key first; then the old keys can be retired."
    )

    def handle(self, **options):
        rotated = current = 0
        with transaction.atomic():
            for model, fields in encrypted_columns():
                for pk, tokens in self.rows(model, fields):
                    try:
                        new_tokens = [crypto.rotate(t) if t else None for t in tokens]
                    except crypto.SecretUnreadable as exc:
                        message = f"{model._meta.label} #{pk}: {exc} Nothing was changed."
                        raise CommandError(message) from None
                    changed = {f.column: t for f, t in zip(fields, new_tokens, strict=True) if t}
                    rotated += len(changed)
                    current += len(fields) - len(changed)
                    if changed:
                        self.write(model, pk, changed)
        self.stdout.write(
            f"{rotated} secret value(s) re-encrypted under the newest key; "
            f"{current} already used it. Older keys are no longer needed for stored data."
        )

    def rows(self, model, fields):
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in fields)
        table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
        # In key order, so a run stopped by an unreadable value always names the same row.
        sql = f"SELECT {pk}, {columns} FROM {table} ORDER BY {pk}"  # noqa: S608 - model names
        if connection.features.has_select_for_update:
            sql += " FOR UPDATE"
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return [(row[0], row[1:]) for row in cursor.fetchall()]

    def write(self, model, pk, changed):
        quote = connection.ops.quote_name
        assignments = ", ".join(f"{quote(column)} = %s" for column in changed)
        table, pk_column = quote(model._meta.db_table), quote(model._meta.pk.column)
        sql = f"UPDATE {table} SET {assignments} WHERE {pk_column} = %s"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql, [*changed.values(), pk])
