import pytest
from django.core.exceptions import ValidationError

from sync.sources.bakalari.source import normalize_base_url as bakalari_base
from sync.sources.sari.source import SariSource


@pytest.mark.parametrize(
    ("pasted", "base"),
    [
        ("https://skola.bakalari.cz/", "https://skola.bakalari.cz"),
        ("https://www.example.com:444/login", "https://www.example.com:444"),
        ("https://www.example.com:444/login.aspx?ReturnUrl=x", "https://www.example.com:444"),
        ("https://Skola.Example.CZ/bakalari/next/dash.aspx", "https://skola.example.cz/bakalari"),
        ("https://host/IS/Login", "https://host/IS"),
        ("https://host/IS/api/3/user", "https://host/IS"),
        ("skola.example.cz/bakalari/dashboard", "https://skola.example.cz/bakalari"),
        ("https://škola.example.cz/login", "https://xn--kola-f6a.example.cz"),
        ("https://host/a%20b/login#top", "https://host/a%20b"),
    ],
)
def test_bakalari_base_url_is_normalised(pasted, base):
    assert bakalari_base(pasted, allow_insecure=False) == base


def test_loopback_is_allowed_only_when_insecure_urls_are():
    assert (
        bakalari_base("http://127.0.0.1:8765/prefix/login", allow_insecure=True)
        == "http://127.0.0.1:8765/prefix"
    )
    with pytest.raises(ValidationError):
        bakalari_base("http://127.0.0.1:8765", allow_insecure=False)


@pytest.mark.parametrize("host", ["10.0.0.1", "172.16.5.4", "169.254.1.1", "[::1]", "0.0.0.0"])
def test_private_ranges_are_refused(host):
    with pytest.raises(ValidationError, match="local or private"):
        bakalari_base(f"https://{host}/", allow_insecure=False)


def test_sari_environments_resolve_to_their_hosts():
    source = SariSource()
    assert source.locate({"environment": "test"}, allow_insecure=False).base_url == (
        "https://sari-v4-test.ky2help.com"
    )
    production = source.locate({"environment": "production"}, allow_insecure=False)
    assert production.base_url == "https://www.vku-pgs.asa.ch"


def test_sari_custom_environment_needs_a_url():
    with pytest.raises(ValidationError) as caught:
        SariSource().locate({"environment": "custom", "base_url": ""}, allow_insecure=False)
    assert "base_url" in caught.value.message_dict
