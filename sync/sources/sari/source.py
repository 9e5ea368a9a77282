"""SARI as the core sees it: environment presets, the four secrets KYBERNA issues, the client,
the connection test and the sandbox."""

from collections.abc import Mapping

from django.core.exceptions import ValidationError

from sync.sources.registry import Location, SettingField, Source
from sync.upstream import url_policy
from sync.upstream.diagnosis import Diagnosis
from sync.upstream.errors import ConfigError

from . import dataset, mirror
from .admin import LISTINGS
from .client import SariClient, diagnose
from .sandbox import SariSandbox

SECRET_LABELS = {
    "client_id": "client ID",
    "client_secret": "client secret",
    "username": "API username",
    "password": "API password",
}
ENVIRONMENTS = {
    "production": "https://www.vku-pgs.asa.ch",
    "test": "https://sari-v4-test.ky2help.com",
}


def normalize_base_url(url: str, *, allow_insecure: bool) -> str:
    parts = url_policy.split_checked(url, allow_insecure=allow_insecure)
    path = parts.path.rstrip("/")
    for suffix in ("/oauth/v2/token", "/api/courseregistration"):
        if suffix in path:
            path = path[: path.index(suffix)]
    return url_policy.join(parts._replace(path=path))


class SariSource(Source):
    slug = "sari"
    label = "SARI"
    mirror = mirror
    sandbox = SariSandbox
    listings = LISTINGS
    tenant_kinds = ("driving_school",)
    fields = (
        SettingField(
            "environment",
            "Environment",
            choices=(("production", "Production"), ("test", "Test"), ("custom", "Custom URL")),
        ),
        SettingField(
            "base_url",
            "Custom URL",
            required=False,
            help_text="Only for the custom environment, e.g. a SARI sandbox.",
        ),
        SettingField("client_id", "Client ID", secret=True),
        SettingField("client_secret", "Client secret", secret=True),
        SettingField("username", "API username", secret=True),
        SettingField("password", "API password", secret=True),
    )
    demo_settings = {
        "environment": "custom",
        "base_url": "/sari",
        "client_id": dataset.DEMO_CLIENT_ID,
        "client_secret": dataset.DEMO_CLIENT_SECRET,
        "username": dataset.DEMO_USERNAME,
        "password": dataset.DEMO_PASSWORD,
    }

    def locate(self, values: Mapping[str, str], *, allow_insecure: bool) -> Location:
        environment = values.get("environment") or "production"
        if environment in ENVIRONMENTS:
            return Location(ENVIRONMENTS[environment], {"environment": environment})
        if environment != "custom":
            raise ValidationError({"environment": f"Unknown environment {environment!r}."})
        if not values.get("base_url", "").strip():
            raise ValidationError({"base_url": "Enter the URL of the custom SARI server."})
        try:
            base_url = normalize_base_url(values["base_url"], allow_insecure=allow_insecure)
        except ValidationError as exc:
            raise ValidationError({"base_url": exc.messages}) from None
        return Location(base_url, {"environment": "custom"})

    def client(self, connection, *, transport=None) -> SariClient:
        """A client of the connection's SARI server; it logs in on its first call."""
        if not connection.base_url:
            raise ConfigError(
                "The SARI server address is not set. Choose an environment in the connection's "
                "settings, or enter the custom URL."
            )
        secrets = connection.secrets or {}
        for name, label in SECRET_LABELS.items():
            if not secrets.get(name):
                raise ConfigError(
                    f"The SARI {label} is not set. Enter it in the connection's settings."
                )
        values = {name: secrets[name] for name in SECRET_LABELS}
        return SariClient(connection.base_url, **values, transport=transport)

    def diagnose(self, client) -> Diagnosis:
        return diagnose(client)
