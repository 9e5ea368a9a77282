"""SARI as the core sees it: environment presets and the four secrets KYBERNA issues."""

from collections.abc import Mapping

from django.core.exceptions import ValidationError

from sync import url_policy
from sync.registry import Location, SettingField, Source

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
