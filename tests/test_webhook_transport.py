"""The webhook transport against a receiver on 127.0.0.1 (the only address any test here talks to)."""
from __future__ import annotations

import datetime
import http.server
import ipaddress
import socket
import socketserver
import ssl
import threading
from dataclasses import dataclass

import pytest

from helios_dash.webhooks.transport import deliver

BODY = b'{"type": "validation.completed", "data": {"quality": 87.5}}'


@pytest.fixture(autouse=True)
def no_name_lookups(monkeypatch):
    """Only numeric hosts reach getaddrinfo: a name lookup here would be a DNS query leaving the machine."""
    real = socket.getaddrinfo

    def numeric_only(host, *args, **kwargs):
        ipaddress.ip_address(host)  # ValueError (a test failure, not a delivery error) for any name
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", numeric_only)


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    """An HTTP(S) server on 127.0.0.1 in a thread that records what reaches it."""

    def __init__(self, tls: ssl.SSLContext | None = None):
        self.requests: list[Seen] = []
        self.connections = 0
        self.server_names: list[str | None] = []
        self.release = threading.Event()  # holds the slow routes until the test ends
        self.server = _Server(("127.0.0.1", 0), _handler(self), self)
        if tls is not None:
            tls.sni_callback = lambda sock, name, context: self.server_names.append(name)
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.scheme = "https" if tls else "http"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

    def __init__(self, address, handler, receiver: Receiver):
        self.receiver = receiver
        super().__init__(address, handler)

    def server_bind(self):
        socketserver.TCPServer.server_bind(self)  # HTTPServer's would look up the address's name
        self.server_name, self.server_port = "127.0.0.1", self.server_address[1]

    def get_request(self):
        request = super().get_request()
        self.receiver.connections += 1
        return request

    def handle_error(self, request, client_address):
        pass  # the client hanging up on a slow or huge answer is what these tests do


def _handler(receiver: Receiver):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            receiver.requests.append(Seen(self.path, dict(self.headers), body))
            getattr(self, "route_" + self.path.split("?")[0].strip("/"))()

        def answer(self, status: int, body: bytes = b"", **headers):
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name.replace("_", "-"), value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def route_hook(self):
            self.answer(200, b"thanks")

        def route_redirect(self):
            self.answer(302, Location=receiver.url("/target"))

        def route_target(self):
            self.answer(200, b"redirect followed")

        def route_slow(self):
            receiver.release.wait(30)
            self.answer(200)

        def route_trickle(self):
            """Headers one byte at a time, each well within a read timeout, never ending."""
            self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            while not receiver.release.wait(0.02):
                self.wfile.write(b"a")
                self.wfile.flush()

        def route_huge(self):
            self.answer(200, b"x" * (1024 * 1024))

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


class CountingResolver:
    def __init__(self, table):
        self.table, self.calls = table, []

    def __call__(self, host, port):
        self.calls.append((host, port))
        return list(self.table[host])


def test_a_delivery_arrives_with_its_body_and_headers(receiver):
    headers = {"webhook-id": "msg_1", "X-Request-Id": "req-7", "Host": "evil.example", "Content-Length": "1"}
    delivery = deliver(receiver.url("/hook?x=1"), BODY, headers, allow_loopback=True)
    assert (delivery.status, delivery.error, delivery.response_excerpt, delivery.ok) == (200, None, "thanks", True)
    assert delivery.latency_ms > 0
    [seen] = receiver.requests
    assert (seen.path, seen.body) == ("/hook?x=1", BODY)
    assert seen.headers["webhook-id"] == "msg_1" and seen.headers["X-Request-Id"] == "req-7"
    assert seen.headers["Content-Type"] == "application/json"
    assert seen.headers["Content-Length"] == str(len(BODY))
    assert seen.headers["Host"] == f"127.0.0.1:{receiver.port}"  # the caller cannot choose another


def test_a_redirect_is_an_outcome_not_followed(receiver):
    delivery = deliver(receiver.url("/redirect"), BODY, {}, allow_loopback=True)
    assert (delivery.status, delivery.error, delivery.ok) == (302, None, False)
    assert [seen.path for seen in receiver.requests] == ["/redirect"]


def test_a_slow_receiver_times_out(receiver):
    delivery = deliver(receiver.url("/slow"), BODY, {}, allow_loopback=True, timeout=0.3)
    assert delivery.status is None
    assert delivery.error == "timed out after 0.3 s"


def test_a_receiver_trickling_headers_is_cut_at_the_deadline(receiver):
    """Every read finishes well within the timeout; only the whole-exchange deadline ends it."""
    delivery = deliver(receiver.url("/trickle"), BODY, {}, allow_loopback=True, timeout=0.5)
    assert (delivery.status, delivery.error) == (None, "timed out after 0.5 s")


def test_a_huge_response_is_read_up_to_the_cap(receiver):
    delivery = deliver(receiver.url("/huge"), BODY, {}, allow_loopback=True, max_response_bytes=1000)
    assert (delivery.status, delivery.truncated) == (200, True)
    assert delivery.response_excerpt == "x" * 1000


def test_loopback_is_refused_before_connecting_unless_allowed(receiver):
    delivery = deliver(receiver.url("/hook"), BODY, {}, allow_loopback=False)
    assert (delivery.status, delivery.refused) == (None, True)
    assert "loopback" in delivery.error
    assert (receiver.connections, receiver.requests) == (0, [])


def test_a_mixed_answer_is_refused_before_connecting(receiver):
    resolver = CountingResolver({"hooks.example.test": ["127.0.0.1", "10.0.0.1"]})
    delivery = deliver(receiver.url("/hook", host="hooks.example.test"), BODY, {},
                       allow_loopback=True, resolve=resolver)
    assert delivery.refused and "10.0.0.1" in delivery.error
    assert receiver.connections == 0


def test_each_send_resolves_once_and_connects_to_that_address(receiver):
    resolver = CountingResolver({"hooks.example.test": ["127.0.0.1"]})
    for _ in range(2):
        delivery = deliver(receiver.url("/hook", host="hooks.example.test"), BODY, {},
                           allow_loopback=True, resolve=resolver)
        assert delivery.status == 200
    assert resolver.calls == [("hooks.example.test", receiver.port)] * 2
    assert [seen.headers["Host"] for seen in receiver.requests] == [f"hooks.example.test:{receiver.port}"] * 2


def test_a_closed_port_is_an_error_not_an_exception():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    delivery = deliver(f"http://127.0.0.1:{closed_port}/", BODY, {}, allow_loopback=True)
    assert (delivery.status, delivery.error) == (None, "connection refused")


def test_a_header_value_with_a_line_break_is_not_sent(receiver):
    delivery = deliver(receiver.url("/hook"), BODY, {"X-Evil": "a\r\nInjected: 1"}, allow_loopback=True)
    assert delivery.status is None and delivery.error.startswith("request not sent")
    assert receiver.requests == []


# HTTPS: a test CA signs a certificate for hooks.example.test; the receiver listens on 127.0.0.1.

@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def name(text):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("HELIOS test CA")).issuer_name(name("HELIOS test CA"))
          .public_key(ca_key.public_key()).serial_number(1)
          .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder().subject_name(name("hooks.example.test")).issuer_name(ca.subject)
            .public_key(leaf_key.public_key()).serial_number(2)
            .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("hooks.example.test")]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    (folder / "leaf.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM) + leaf_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return {"ca": ca.public_bytes(serialization.Encoding.PEM).decode(), "leaf": str(folder / "leaf.pem")}


@pytest.fixture
def tls_receiver(certificates):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificates["leaf"])
    receiver = Receiver(tls=context)
    yield receiver
    receiver.close()


def test_https_goes_to_the_checked_address_with_sni_and_certificate_for_the_name(tls_receiver, certificates):
    trusting_the_test_ca = ssl.create_default_context(cadata=certificates["ca"])
    resolver = CountingResolver({"hooks.example.test": ["127.0.0.1"]})
    delivery = deliver(tls_receiver.url("/hook", host="hooks.example.test"), BODY, {}, allow_loopback=True,
                       resolve=resolver, tls_context=trusting_the_test_ca)
    assert (delivery.status, delivery.error) == (200, None)
    assert tls_receiver.server_names == ["hooks.example.test"]
    assert tls_receiver.requests[0].headers["Host"] == f"hooks.example.test:{tls_receiver.port}"


def test_https_refuses_a_certificate_for_another_name(tls_receiver, certificates):
    trusting_the_test_ca = ssl.create_default_context(cadata=certificates["ca"])
    resolver = CountingResolver({"other.example.test": ["127.0.0.1"]})
    delivery = deliver(tls_receiver.url("/hook", host="other.example.test"), BODY, {}, allow_loopback=True,
                       resolve=resolver, tls_context=trusting_the_test_ca)
    assert delivery.status is None and delivery.error.startswith("TLS certificate not accepted")
    assert "other.example.test" in delivery.error  # OpenSSL: "Hostname mismatch, certificate is not valid for ..."
    assert tls_receiver.requests == []


def test_https_trusts_only_the_system_authorities_by_default(tls_receiver):
    resolver = CountingResolver({"hooks.example.test": ["127.0.0.1"]})
    delivery = deliver(tls_receiver.url("/hook", host="hooks.example.test"), BODY, {}, allow_loopback=True,
                       resolve=resolver)
    assert delivery.status is None and delivery.error.startswith("TLS certificate not accepted")
    assert tls_receiver.requests == []
