from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from .crypto import key_ring


@checks.register(checks.Tags.security)
def encryption_keys_are_valid(app_configs, **kwargs):
    try:
        key_ring()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="tenants.E001")]
    return []
