"""The outbound-request guard: a webhook URL may only lead to public (global) addresses.

``check_url`` parses the URL, normalises the host the way a resolver would (IDNA, trailing dot,
decimal/octal/hex IPv4 forms), resolves it once and refuses it unless EVERY address is global.
The transport then connects to those checked addresses only, so a second DNS answer (rebinding)
can never move the request somewhere else. Decisions are pure functions of the URL and the
resolver's answer: tests inject a resolver and never connect anywhere.
"""
from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from typing import Callable, Iterable
from urllib.parse import quote, urlsplit

from ..errors import HeliosError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Iterable[str]]

DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST_CHARACTERS = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*$")
_PATH_SAFE = "!$%&'()*+,/:;=?@[]~"
_NUMBER = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")  # a label a resolver would read as part of an IPv4 address


class UnsafeTarget(HeliosError):
    """A webhook URL that may not be called; ``reason`` is a short slug such as "loopback"."""

    code = "WEBHOOK_URL_REFUSED"
    http_status = 400

    def __init__(self, reason: str, message: str, address: str | None = None):
        super().__init__(message, [{"field": "url", "message": message, "reason": reason}])
        self.reason = reason
        self.address = address


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (``ips``) and what to say there (host, port, path)."""

    scheme: str
    host: str  # ASCII, lower case, no trailing dot: sent as Host, SNI and checked against the certificate
    port: int
    path: str  # path and query ("/" when empty); the fragment never leaves the client
    ips: tuple[str, ...]  # every address the host resolved to, all checked, in the resolver's order


def default_resolver(host: str, port: int) -> list[str]:
    """Every address ``getaddrinfo`` gives for ``host`` (IPv4 and IPv6), without duplicates."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(info[4][0] for info in infos))


def check_url(url: str, *, allow_loopback: bool = False, resolve: Resolver = default_resolver) -> Target:
    """The URL's checked target, or ``UnsafeTarget`` naming why it may not be called."""
    scheme, host, port, path, literal = _parse(url)
    if literal is not None:
        addresses = [literal]
    else:
        addresses = _resolve(host, port, resolve)
    for address in addresses:
        reason = refusal(address, allow_loopback=allow_loopback)
        if reason is not None:
            where = "it leads to" if literal is not None else f"{host} resolves to"
            raise UnsafeTarget(reason, f"Webhook URL refused: {where} {address} ({reason}); "
                                       "webhooks are only sent to public internet addresses.", str(address))
    return Target(scheme, host, port, path, tuple(dict.fromkeys(str(address) for address in addresses)))


# Named ranges, checked before Python's flags: in Python 3.11 is_global is True for multicast,
# site-local, 3fff::/20 and addresses embedding 127.0.0.1, so the flags alone are not enough.
_RANGES = [(ipaddress.ip_network(network), reason) for network, reason in [
    ("0.0.0.0/8", "this-network"), ("127.0.0.0/8", "loopback"), ("10.0.0.0/8", "private"),
    ("172.16.0.0/12", "private"), ("192.168.0.0/16", "private"), ("100.64.0.0/10", "shared (CGNAT)"),
    ("169.254.0.0/16", "link-local"), ("192.0.2.0/24", "documentation"), ("198.51.100.0/24", "documentation"),
    ("203.0.113.0/24", "documentation"), ("198.18.0.0/15", "benchmarking"), ("224.0.0.0/4", "multicast"),
    ("255.255.255.255/32", "broadcast"), ("240.0.0.0/4", "reserved"),
    ("::1/128", "loopback"), ("fe80::/10", "link-local"), ("fc00::/7", "unique-local"),
    ("fec0::/10", "site-local"), ("ff00::/8", "multicast"), ("2001:db8::/32", "documentation"),
    ("3fff::/20", "documentation"),
]]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # the IPv4 address is the last 32 bits
_LOOPBACK = [ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128")]


def refusal(address: Address | str, *, allow_loopback: bool = False) -> str | None:
    """Why a webhook may not be sent to ``address`` (a slug such as "private"), or None if it is public."""
    ip = ipaddress.ip_address(address.split("%", 1)[0] if isinstance(address, str) else address)
    if allow_loopback and any(ip in network for network in _LOOPBACK):
        return None
    if ip.is_unspecified:
        return "unspecified"
    if ip.version == 6:
        if ip.ipv4_mapped is not None:  # ::ffff:a.b.c.d is a.b.c.d on a dual-stack socket
            return "IPv4-mapped"
        embedded = _embedded_ipv4(ip)
        if embedded:  # NAT64, 6to4 and Teredo reach the IPv4 address they carry: it decides
            return None if all(refusal(inner) is None for inner in embedded) else "embedded non-global IPv4"
    for network, reason in _RANGES:
        if ip.version == network.version and ip in network:
            return reason
    if ip.is_private:
        return "private"
    if ip.is_reserved:
        return "reserved"
    return None if ip.is_global else "non-global"


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses a NAT64, 6to4 or Teredo address leads to (empty for any other)."""
    if ip in _NAT64:
        return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    if ip.sixtofour is not None:
        return [ip.sixtofour]
    if ip.teredo is not None:
        return list(ip.teredo)  # (server, client)
    return []


def _parse(url: str) -> tuple[str, str, int, str, Address | None]:
    """(scheme, normalised host, port, path and query, the host's address if it is a literal)."""
    if not isinstance(url, str) or re.search(r"[\x00-\x20\x7f\\]", url):
        raise _malformed("it holds spaces, control characters or backslashes")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise _malformed(str(error)) from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise UnsafeTarget("scheme", "Webhook URL refused: the scheme must be http or https, "
                                     f"not {scheme or 'none'!r}.")
    if "@" in parts.netloc:
        raise UnsafeTarget("userinfo", "Webhook URL refused: it may not carry a user name or password "
                                       "(the webhook-signature header tells the receiver the request is ours).")
    if port == 0:
        raise _malformed("port 0")
    port = port or DEFAULT_PORTS[scheme]
    # Non-ASCII in the path is percent-encoded (http.client sends ASCII only); existing escapes stay.
    path = quote(parts.path or "/", safe=_PATH_SAFE)
    if parts.query:
        path += "?" + quote(parts.query, safe=_PATH_SAFE)
    if parts.netloc.startswith("["):  # an IPv6 literal; urlsplit has already checked the brackets
        host = parts.hostname or ""
        if "%" in host:
            raise _malformed("an IPv6 zone id")
        literal = _ipv6(host)
        return scheme, str(literal), port, path, literal
    host, literal = _normalise_host(parts.hostname or "")
    return scheme, host, port, path, literal


def _normalise_host(raw: str) -> tuple[str, Address | None]:
    """The host as a resolver sees it: IDNA, no trailing dot, numeric forms read as IPv4."""
    host = raw[:-1] if raw.endswith(".") else raw  # "example.com." is example.com
    if not host.isascii():
        import idna  # UTS 46 maps full-width digits and dots too: "１２７。０。０。１" is 127.0.0.1

        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError as error:
            raise _malformed(f"the host is not a valid internationalised name ({error})") from None
    host = host.lower()
    if not _HOST_CHARACTERS.match(host):
        raise _malformed("the host is empty or holds characters a host name cannot")
    if _NUMBER.match(host.rsplit(".", 1)[-1]):  # a resolver reads this as an IPv4 address, not a name
        literal = parse_ipv4(host)
        if literal is None:
            raise _malformed("the host looks like a number but is no valid IPv4 address")
        return str(literal), literal
    return host, None


def parse_ipv4(text: str) -> ipaddress.IPv4Address | None:
    """``text`` read as inet_aton reads it ("2130706433", "0x7f.1", "017700000001", "127.1"), or None."""
    parts = text.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    numbers = []
    for part in parts:
        if re.fullmatch(r"0x[0-9a-f]*", part):
            numbers.append(int(part[2:] or "0", 16))
        elif re.fullmatch(r"0[0-7]*", part):
            numbers.append(int(part, 8))
        elif re.fullmatch(r"[1-9][0-9]*", part):
            numbers.append(int(part))
        else:
            return None  # empty label, "08", letters
    *leading, last = numbers
    if any(number > 255 for number in leading) or last >= 256 ** (5 - len(numbers)):
        return None
    value = last
    for position, number in enumerate(leading):
        value += number << (8 * (3 - position))
    return ipaddress.IPv4Address(value)


def _ipv6(host: str) -> ipaddress.IPv6Address:
    try:
        return ipaddress.IPv6Address(host)
    except ValueError:
        raise _malformed("the bracketed host is no IPv6 address") from None


def _resolve(host: str, port: int, resolve: Resolver) -> list[Address]:
    """Every address the resolver gives for ``host``; UnsafeTarget if it gives none or nonsense."""
    try:
        answers = list(resolve(host, port))
    except (OSError, UnicodeError) as error:
        raise UnsafeTarget("unresolvable", f"Webhook URL refused: {host} does not resolve ({error}).") from None
    if not answers:
        raise UnsafeTarget("unresolvable", f"Webhook URL refused: {host} resolves to no address.")
    try:
        return [ipaddress.ip_address(answer.split("%", 1)[0]) for answer in answers]
    except ValueError:
        raise UnsafeTarget("unresolvable", f"Webhook URL refused: {host} resolves to something "
                                           "that is not an IP address.") from None


def _malformed(why: str) -> UnsafeTarget:
    return UnsafeTarget("malformed", f"Webhook URL refused: it is not a usable http(s) URL ({why}).")
