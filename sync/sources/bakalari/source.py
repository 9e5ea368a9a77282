"""Bakaláři as the core sees it: what a connection needs and how its address is normalised."""

from collections.abc import Mapping

from django.core.exceptions import ValidationError

from sync import url_policy
from sync.registry import Location, SettingField, Source

# What people paste from the browser's address bar after the school's base:
# the login page, the web UI's "next" pages, the dashboard, or the API itself.
WEB_UI_SEGMENTS = {"login", "login.aspx", "next", "dashboard", "dashboard.aspx", "api"}


def normalize_base_url(url: str, *, allow_insecure: bool) -> str:
    """The school's base: no login page, UI path, query or trailing slash; port and prefix kept."""
    parts = url_policy.split_checked(url, allow_insecure=allow_insecure)
    kept = []
    for segment in parts.path.split("/"):
        if segment.lower() in WEB_UI_SEGMENTS:
            break
        if segment:
            kept.append(segment)
    path = "/" + "/".join(kept) if kept else ""
    return url_policy.join(parts._replace(path=path))


class BakalariSource(Source):
    slug = "bakalari"
    label = "Bakaláři"
    fields = (
        SettingField(
            "base_url",
            "School address",
            help_text="The address of the school's Bakaláři login page, "
            "e.g. https://skola.bakalari.cz/login",
        ),
        SettingField("username", "Username"),
        SettingField("password", "Password", secret=True),
    )

    def locate(self, values: Mapping[str, str], *, allow_insecure: bool) -> Location:
        try:
            base_url = normalize_base_url(values.get("base_url", ""), allow_insecure=allow_insecure)
        except ValidationError as exc:
            raise ValidationError({"base_url": exc.messages}) from None
        return Location(base_url, {"username": values.get("username", "").strip()})
