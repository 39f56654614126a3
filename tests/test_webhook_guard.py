"""The webhook URL guard, tested by its decisions only: a fake resolver answers, nothing connects."""
from __future__ import annotations

import ipaddress
import socket

import pytest

from helios_dash.errors import HeliosError
from helios_dash.webhooks.guard import Target, UnsafeTarget, check_url, parse_ipv4, refusal

# Global addresses below are DATA: the guard only looks at them, no test connects to them.
DNS = {
    "hooks.example.com": ["8.8.8.8", "2606:4700::1111"],
    "xn--bcher-kva.example": ["1.1.1.1"],
    "localhost": ["127.0.0.1", "::1"],
    "metadata.internal": ["169.254.169.254"],
    "intranet.corp": ["10.1.2.3"],
    "cgnat.test": ["100.64.0.1"],
    "v6private.test": ["fd00::1"],
    "mapped.test": ["::ffff:10.0.0.1"],
    "scoped.test": ["fe80::1%eth0"],
    "rebind.test": ["8.8.8.8", "192.168.1.10"],  # DNS rebinding shape: one public, one private answer
    "rebind-first.test": ["192.168.1.10", "8.8.8.8"],
    "empty.test": [],
}


class FakeResolver:
    """Answers from ``DNS`` and remembers every question; an unknown name fails like getaddrinfo."""

    def __init__(self, table=DNS):
        self.table, self.calls = table, []

    def __call__(self, host, port):
        self.calls.append((host, port))
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return list(self.table[host])


HOSTILE = [
    # loopback, however it is spelled
    ("http://127.0.0.1/", "loopback"),
    ("http://127.255.255.254:8080/x", "loopback"),
    ("http://localhost/", "loopback"),
    ("http://localhost./", "loopback"),  # trailing dot
    ("http://LOCALHOST:80/", "loopback"),
    ("http://2130706433/", "loopback"),  # decimal
    ("http://0x7f.1/", "loopback"),  # hex, two parts
    ("http://0x7f000001/", "loopback"),
    ("http://017700000001/", "loopback"),  # octal
    ("http://0177.0.0.1/", "loopback"),
    ("http://127.1/", "loopback"),
    ("http://127.0.0.1./", "loopback"),
    ("http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/", "loopback"),  # full-width digits (IDNA maps them)
    ("http://127\u30020\u30020\u30021/", "loopback"),  # ideographic full stops
    ("http://\u24dbocalhost/", "loopback"),  # circled l: IDNA makes it "localhost"
    ("http://[::1]/", "loopback"),
    # unspecified and "this network"
    ("http://0.0.0.0/", "unspecified"),
    ("http://0/", "unspecified"),
    ("http://[::]/", "unspecified"),
    ("http://0.1.2.3/", "this-network"),
    # private, link-local (cloud metadata), CGNAT, ULA, site-local
    ("http://10.0.0.1/", "private"),
    ("http://172.16.5.4/", "private"),
    ("http://192.168.0.1/", "private"),
    ("http://intranet.corp/hook", "private"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://metadata.internal/", "link-local"),
    ("http://[fe80::1]/", "link-local"),
    ("http://scoped.test/", "link-local"),
    ("http://100.64.0.1/", "shared (CGNAT)"),
    ("http://100.127.255.254/", "shared (CGNAT)"),
    ("http://cgnat.test/", "shared (CGNAT)"),
    ("http://[fd00::1]/", "unique-local"),
    ("http://[fc00::1]/", "unique-local"),
    ("http://v6private.test/", "unique-local"),
    ("http://[fec0::1]/", "site-local"),
    # multicast, broadcast, reserved, documentation, benchmarking
    ("http://224.0.0.1/", "multicast"),
    ("http://239.255.255.250:1900/", "multicast"),
    ("http://[ff02::1]/", "multicast"),
    ("http://255.255.255.255/", "broadcast"),
    ("http://240.0.0.1/", "reserved"),
    ("http://[::127.0.0.1]/", "reserved"),  # deprecated IPv4-compatible form
    ("http://192.0.2.1/", "documentation"),
    ("http://198.51.100.7/", "documentation"),
    ("http://203.0.113.9/", "documentation"),
    ("http://[2001:db8::1]/", "documentation"),
    ("http://198.18.0.1/", "benchmarking"),
    # IPv6 forms that carry an IPv4 address
    ("http://[::ffff:127.0.0.1]/", "IPv4-mapped"),
    ("http://[::ffff:a9fe:a9fe]/", "IPv4-mapped"),  # 169.254.169.254 in hex
    ("http://[::ffff:8.8.8.8]/", "IPv4-mapped"),  # refused even when public: no resolver answers with it
    ("http://mapped.test/", "IPv4-mapped"),
    ("http://[64:ff9b::7f00:1]/", "embedded non-global IPv4"),  # NAT64 of 127.0.0.1
    ("http://[64:ff9b::a9fe:a9fe]/", "embedded non-global IPv4"),  # NAT64 of 169.254.169.254
    ("http://[2002:7f00:1::1]/", "embedded non-global IPv4"),  # 6to4 of 127.0.0.1
    ("http://[2002:c0a8:101::1]/", "embedded non-global IPv4"),  # 6to4 of 192.168.1.1
    ("http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", "embedded non-global IPv4"),  # Teredo, client 127.0.0.1
    # DNS rebinding: one private answer among public ones refuses the URL
    ("http://rebind.test/", "private"),
    ("https://rebind-first.test/", "private"),
    # not http(s), credentials, malformed
    ("ftp://8.8.8.8/", "scheme"),
    ("file:///etc/passwd", "scheme"),
    ("gopher://8.8.8.8:70/_x", "scheme"),
    ("javascript:alert(1)", "scheme"),
    ("http://user:pass@8.8.8.8/", "userinfo"),
    ("http://8.8.8.8@127.0.0.1/", "userinfo"),
    ("http://127.0.0.1\\@8.8.8.8/", "malformed"),
    ("http:// 127.0.0.1/", "malformed"),
    ("http://8.8.8.8\r\nX-Injected: 1/", "malformed"),
    ("http://[fe80::1%25eth0]/", "malformed"),
    ("http://256.0.0.1/", "malformed"),
    ("http://08.0.0.1/", "malformed"),  # 08 is no octal number, but the last label looks numeric
    ("http://1.2.3.4.5/", "malformed"),
    ("http://%31%32%37.0.0.1/", "malformed"),
    ("http://8.8.8.8:0/", "malformed"),
    ("http://8.8.8.8:99999/", "malformed"),
    ("http:///path", "malformed"),
    ("http://empty.test/", "unresolvable"),
    ("http://nowhere.test/", "unresolvable"),
]


def test_the_corpus_is_large_enough():
    assert len(HOSTILE) >= 25


@pytest.mark.parametrize("url, reason", HOSTILE)
def test_hostile_url_is_refused(url, reason):
    with pytest.raises(UnsafeTarget) as caught:
        check_url(url, resolve=FakeResolver())
    assert caught.value.reason == reason


@pytest.mark.parametrize("url, reason", HOSTILE)
def test_allow_loopback_admits_loopback_and_nothing_else(url, reason):
    if reason == "loopback":
        assert check_url(url, allow_loopback=True, resolve=FakeResolver()).ips
    else:
        with pytest.raises(UnsafeTarget) as caught:
            check_url(url, allow_loopback=True, resolve=FakeResolver())
        assert caught.value.reason == reason


@pytest.mark.parametrize("url, expected", [
    ("http://hooks.example.com/hook", Target("http", "hooks.example.com", 80, "/hook", ("8.8.8.8", "2606:4700::1111"))),
    ("https://hooks.example.com./a/b?x=1&y=2#frag",
     Target("https", "hooks.example.com", 443, "/a/b?x=1&y=2", ("8.8.8.8", "2606:4700::1111"))),
    ("HTTPS://Hooks.Example.COM:8443", Target("https", "hooks.example.com", 8443, "/", ("8.8.8.8", "2606:4700::1111"))),
    ("https://b\u00fccher.example/h\u00e4ken",
     Target("https", "xn--bcher-kva.example", 443, "/h%C3%A4ken", ("1.1.1.1",))),
    ("http://8.8.8.8:8080/x", Target("http", "8.8.8.8", 8080, "/x", ("8.8.8.8",))),
    ("http://134744072/", Target("http", "8.8.8.8", 80, "/", ("8.8.8.8",))),  # 8.8.8.8 in decimal
    ("https://[2606:4700:0::1111]/", Target("https", "2606:4700::1111", 443, "/", ("2606:4700::1111",))),
    ("http://[64:ff9b::808:808]/", Target("http", "64:ff9b::808:808", 80, "/", ("64:ff9b::808:808",))),  # NAT64
    ("http://[2002:808:808::1]/", Target("http", "2002:808:808::1", 80, "/", ("2002:808:808::1",))),  # 6to4
])
def test_public_targets_are_accepted(url, expected):
    assert check_url(url, resolve=FakeResolver()) == expected


def test_names_are_resolved_once_with_their_port_and_literals_not_at_all():
    resolver = FakeResolver()
    check_url("https://hooks.example.com/", resolve=resolver)
    check_url("http://8.8.8.8/", resolve=resolver)
    check_url("http://[2606:4700::1111]/", resolve=resolver)
    assert resolver.calls == [("hooks.example.com", 443)]


def test_the_refusal_is_an_api_error_naming_the_address():
    with pytest.raises(UnsafeTarget) as caught:
        check_url("http://metadata.internal/", resolve=FakeResolver())
    error = caught.value
    assert isinstance(error, HeliosError)
    assert (error.code, error.http_status, error.address) == ("WEBHOOK_URL_REFUSED", 400, "169.254.169.254")
    assert "169.254.169.254" in error.message and "metadata.internal" in error.message
    assert error.details == [{"field": "url", "message": error.message, "reason": "link-local"}]


@pytest.mark.parametrize("text", [
    "127.0.0.1", "2130706433", "0x7f.1", "0x7f000001", "017700000001", "0177.0.0.1", "127.1", "10.1.0x1",
    "0", "0x0", "00", "1.2.3.4", "255.255.255.255", "4294967295", "0xff.0xff.0xffff", "0377.0377.0377.0377",
])
def test_numeric_hosts_read_as_the_c_library_reads_them(text):
    """glibc's inet_aton is the independent oracle: getaddrinfo reads numeric hosts with it."""
    assert parse_ipv4(text) == ipaddress.IPv4Address(socket.inet_aton(text))


@pytest.mark.parametrize("text", ["256.0.0.1", "4294967296", "08", "1.2.3.4.5", "1..2", "0x1g", "1.2.3.256", "a.1"])
def test_numbers_the_c_library_refuses_are_no_address(text):
    assert parse_ipv4(text) is None
    with pytest.raises(OSError):
        socket.inet_aton(text)


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700::1111", "2a00:1450:4001::1", "192.0.0.9"])
def test_public_addresses_have_no_refusal(address):
    assert refusal(address) is None


@pytest.mark.parametrize("address", ["127.0.0.1", "127.8.9.10", "::1"])
def test_loopback_is_admitted_only_when_allowed(address):
    assert refusal(address) == "loopback"
    assert refusal(address, allow_loopback=True) is None


def test_settings_read_the_loopback_switch_off_by_default():
    from helios_dash.settings import Settings

    assert Settings.from_env({}).webhook_allow_loopback is False
    assert Settings.from_env({"HELIOS_WEBHOOK_ALLOW_LOOPBACK": "1"}).webhook_allow_loopback is True
