import ipaddress

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.sources.bakalari.source import normalize_base_url as bakalari_base
from sync.sources.sari.source import SariSource
from sync.upstream import url_policy


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


@pytest.mark.parametrize(
    "host",
    [
        "[::ffff:127.0.0.1]",  # IPv4-mapped loopback
        "[::ffff:a9fe:a9fe]",  # ... the cloud metadata address, 169.254.169.254
        "[::127.0.0.1]",  # IPv4-compatible loopback
        "[::a00:1]",  # ... 10.0.0.1
        "[64:ff9b::7f00:1]",  # NAT64 of 127.0.0.1
        "[64:ff9b::c0a8:101]",  # ... of 192.168.1.1
        "[64:ff9b:1::a00:1]",  # local-use NAT64 prefix
        "[2002:7f00:1::]",  # 6to4 of 127.0.0.1
        "[2002:a9fe:a9fe::1]",  # ... of 169.254.169.254
        "[2001:0:4136:e378:8000:63bf:80ff:fffe]",  # Teredo, hiding 127.0.0.1
        "[2001:0:808:808::f7f7:f7f7]",  # Teredo, hiding 8.8.8.8: a tunnel, never a server
        "[fe80::1]",  # link-local
        "[fd12:3456::1]",  # unique-local
        "[fec0::1]",  # site-local (deprecated)
        "[ff02::1]",  # multicast
        "[ff0e::1]",  # ... of global scope
        "[::]",  # unspecified
        "[100::1]",  # discard-only
        "[2001:db8::1]",  # documentation
        "100.64.0.1",  # carrier-grade NAT
        "224.0.0.1",  # multicast
        "239.255.255.250",
        "240.0.0.1",  # reserved
        "255.255.255.255",  # broadcast
        "198.18.0.1",  # benchmarking
        "192.0.0.8",  # IETF protocol assignments
    ],
)
def test_addresses_off_the_public_internet_are_refused_in_every_form(host):
    with pytest.raises(ValidationError, match="local or private"):
        bakalari_base(f"https://{host}/", allow_insecure=False)


@pytest.mark.parametrize(
    "host",
    [
        "8.8.8.8",
        "[2001:4860:4860::8888]",
        "[::ffff:8.8.8.8]",  # the forms that carry a public IPv4 address stay allowed:
        "[64:ff9b::808:808]",  # an IPv6-only network reaches IPv4 servers through NAT64
        "[2002:808:808::1]",
    ],
)
def test_public_addresses_are_allowed_in_every_form(host):
    assert bakalari_base(f"https://{host}/", allow_insecure=False) == f"https://{host}"


@given(st.ip_addresses(v=4))
@settings(max_examples=300, database=None)
def test_an_ipv6_form_carrying_an_ipv4_address_is_judged_as_that_address(address):
    carried = int(address)
    forms = [
        ipaddress.IPv6Address((0xFFFF << 32) | carried),  # ::ffff:a.b.c.d
        ipaddress.IPv6Address(carried),  # ::a.b.c.d
        ipaddress.IPv6Address(int(url_policy.NAT64.network_address) | carried),
        ipaddress.IPv6Address((0x2002 << 112) | (carried << 80) | 1),  # 6to4
    ]
    verdict = url_policy.is_public_address(address)
    assert [url_policy.is_public_address(form) for form in forms] == [verdict] * len(forms)
