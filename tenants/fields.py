"""A JSON object stored encrypted: the column holds only a Fernet token."""

import json

from django.db import models

from . import crypto


class EncryptedJSONField(models.TextField):
    description = "A JSON object, encrypted at rest"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default", dict)
        kwargs.setdefault("blank", True)
        kwargs["editable"] = False
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("editable", None)
        return name, path, args, kwargs

    def from_db_value(self, value, expression, connection):
        return self.to_python(value)

    def to_python(self, value):
        if value is None or value == "":
            return {}
        if isinstance(value, dict):
            return value
        # A string here is a token: from the database, or from a fixture made by dumpdata.
        return json.loads(crypto.decrypt(value))

    def get_prep_value(self, value):
        return crypto.encrypt(json.dumps(value or {}, sort_keys=True))

    def value_to_string(self, obj):
        # dumpdata and other serialisers get the ciphertext, never the plaintext.
        return self.get_prep_value(self.value_from_object(obj))
