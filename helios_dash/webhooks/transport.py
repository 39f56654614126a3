"""One webhook request: to a checked address only, no redirects, bounded in time and size, never raising.

``deliver`` checks the URL with the guard at every send, then opens the TCP connection to one of
the addresses the guard checked (``http.client`` opens its socket through ``_create_connection``,
which we point at those addresses), while Host, SNI and the certificate check still use the host
name. So a DNS answer that changes after the check (rebinding) can never move the request. A
watchdog closes the socket at the deadline, so a receiver that trickles bytes cannot hold the
sender longer than ``timeout`` either.
"""
from __future__ import annotations

import functools
import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass

from .guard import Resolver, Target, UnsafeTarget, check_url, default_resolver

USER_AGENT = "HELIOS-Webhooks/1"
_HEADERS_WE_SET = {"host", "content-length", "transfer-encoding", "connection"}


@dataclass(frozen=True)
class Delivery:
    """What one attempt came to: an HTTP status, or an error that says why there is none."""

    status: int | None
    latency_ms: float
    error: str | None
    response_excerpt: str  # the response body, at most max_response_bytes, decoded leniently
    refused: bool = False  # the guard refused the URL: nothing was sent
    truncated: bool = False  # the response was longer than max_response_bytes

    @property
    def ok(self) -> bool:
        """A 2xx answer: the receiver took the event."""
        return self.error is None and self.status is not None and 200 <= self.status < 300


def deliver(url: str, body: bytes, headers: dict[str, str], *, allow_loopback: bool, timeout: float = 5.0,
            max_response_bytes: int = 64 * 1024, resolve: Resolver = default_resolver,
            tls_context: ssl.SSLContext | None = None) -> Delivery:
    """POST ``body`` to ``url`` once; network trouble becomes ``Delivery.error``, never an exception."""
    started = time.perf_counter()
    try:
        target = check_url(url, allow_loopback=allow_loopback, resolve=resolve)
    except UnsafeTarget as refusal:
        return Delivery(None, _since(started), refusal.message, "", refused=True)
    connection = _pinned_connection(target, timeout, tls_context or _default_tls_context())
    watchdog = _Watchdog(connection, timeout)
    failure: Exception | None = None
    try:
        connection.request("POST", target.path, body=body, headers=_request_headers(headers))
        response = connection.getresponse()
        data = response.read(max_response_bytes + 1)  # one byte more tells whether it was cut
    except (OSError, http.client.HTTPException, ValueError) as error:
        failure = error
    finally:
        watchdog.cancel()
        connection.close()  # never reused: the next send is checked afresh
    if watchdog.fired:  # the deadline shut the socket: whatever was read may look complete but is not
        return Delivery(None, _since(started), f"timed out after {timeout:g} s", "")
    if failure is not None:
        return Delivery(None, _since(started), _describe(failure, timeout), "")
    excerpt = data[:max_response_bytes].decode("utf-8", errors="replace")
    return Delivery(response.status, _since(started), None, excerpt, truncated=len(data) > max_response_bytes)


def _pinned_connection(target: Target, timeout: float, context: ssl.SSLContext) -> http.client.HTTPConnection:
    """An http.client connection to ``target.host`` whose socket goes to ``target.ips`` only."""
    if target.scheme == "https":
        connection = http.client.HTTPSConnection(target.host, target.port, timeout=timeout, context=context)
    else:
        connection = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
    # http.client calls this hook with (host, port); the host name is ignored, so no lookup happens.
    deadline = time.monotonic() + timeout
    connection._create_connection = functools.partial(_connect_to_checked, target.ips, deadline)
    return connection


def _connect_to_checked(ips: tuple[str, ...], deadline: float, address, timeout, source_address=None) -> socket.socket:
    """A TCP connection to the first checked address that answers (the resolver's order), by the deadline."""
    failure: OSError = OSError("no checked address")
    for ip in ips:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no checked address answered in time")
        try:
            return socket.create_connection((ip, address[1]), min(timeout, remaining), source_address)
        except OSError as error:
            failure = error
    raise failure


class _Watchdog:
    """Shuts the connection's socket at the deadline, which ends any read in progress."""

    def __init__(self, connection: http.client.HTTPConnection, timeout: float):
        self.fired = False
        self._connection = connection
        self._timer = threading.Timer(timeout, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        sock = self._connection.sock
        if sock is not None:
            try:  # socket.socket's own shutdown: an SSLSocket's would drop its TLS state under the reader
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except OSError:
                pass

    def cancel(self) -> None:
        self._timer.cancel()


def _request_headers(headers: dict[str, str]) -> dict[str, str]:
    """The caller's headers over our defaults; Host and framing are http.client's to set."""
    merged = {"Content-Type": "application/json", "User-Agent": USER_AGENT, "Connection": "close"}
    merged.update({name: value for name, value in headers.items() if name.lower() not in _HEADERS_WE_SET})
    return merged


def _describe(error: Exception, timeout: float) -> str:
    """One short sentence for the delivery log (never the request's headers)."""
    if isinstance(error, TimeoutError):
        return f"timed out after {timeout:g} s"
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"TLS certificate not accepted: {error.verify_message or error}"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, http.client.HTTPException):
        return f"invalid HTTP response ({type(error).__name__}: {error})"
    if isinstance(error, ValueError):
        return f"request not sent: {error}"
    return f"{type(error).__name__}: {error}"


@functools.lru_cache(maxsize=1)
def _default_tls_context() -> ssl.SSLContext:
    """The system's trusted CAs with host name checks; built once, it is immutable in use."""
    return ssl.create_default_context()


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
