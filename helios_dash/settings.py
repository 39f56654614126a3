"""Settings read once from ``HELIOS_*`` environment variables.

Every knob has a default that gives a working embedded setup, so a fresh
checkout runs with no configuration at all.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigurationError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"duckdb:///{PROJECT_ROOT / 'data' / 'helios.duckdb'}"
DEV_SECRET_KEY = "dev-only-change-me"  # a server outside demo mode refuses to start with it


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """The whole configuration of one HELIOS process."""

    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = DEV_SECRET_KEY
    poll_seconds: float = 5.0
    redis_url: str | None = None  # set: cache, event bus and job queue shared by every worker and host
    statement_timeout: float = 30.0  # seconds one SQL statement may run before the store cancels it
    demo_data: bool = True
    demo_validations: int = 200_000
    public_url: str = "http://127.0.0.1:8050/"  # where links in exports made outside a request point
    max_body_bytes: int = 2 * 1024 * 1024  # request bodies (API configurations, Dash callbacks)
    heavy_exports: int = 1  # PDF/XLSX/full-record CSV exports rendered at once per process
    heavy_export_queue: int = 2  # more that may wait for a slot; past it: 503 with Retry-After
    heavy_export_wait: float = 30.0  # seconds one may wait in that queue
    static_cache_bytes: int = 32 * 1024 * 1024  # compressed static files kept in memory
    anonymous_role: str | None = None  # "viewer": read-only pages, API GET and exports open to everyone
    session_idle_minutes: float = 8 * 60  # a session unused this long is over
    session_max_hours: float = 7 * 24  # and none outlives this, used or not
    # Rate limits, in Flask-Limiter's notation ("N per M unit"), moving window, per token, user or IP.
    rate_limit_api: str = "300 per minute"
    rate_limit_exports: str = "20 per minute"  # exports cost far more than a read
    rate_limit_sign_in: str = "5 per 15 minutes"  # failed sign-ins per account and IP
    proxy_hops: int = 0  # reverse proxies in front that set X-Forwarded-For/-Proto/-Host (trusted)
    # Fernet keys for hypothesis text at rest, newest first ("new,old"): the first encrypts, every
    # one decrypts. Never derived from secret_key. Empty: demo mode keeps a key in the data folder
    # (helios_dash/crypto.py); outside demo mode hypotheses answer ENCRYPTION_UNAVAILABLE.
    encryption_keys: tuple[str, ...] = ()
    # WebSocket /stream (helios_dash/realtime): each socket holds one gunicorn thread, so a worker
    # needs --threads above this cap (plus its HTTP threads); past it a socket is closed with 1013.
    # 0: half of gunicorn's --threads (so sockets never starve page requests), 2000 elsewhere.
    ws_max_connections: int = 0
    ws_ping_seconds: float = 25.0  # a socket that misses a pong for this long is closed
    ws_send_queue: int = 64  # messages waiting per socket; a consumer that falls further behind is dropped
    log_format: str = "text"  # "json": one JSON object per log line (request_id, user_id, route, ...)
    webhook_allow_loopback: bool = False  # tests only: webhooks may reach 127.0.0.0/8 and ::1, nothing else non-global
    slow_query_ms: float = 1000.0  # statements slower than this are logged at WARNING by the store gateway
    # Client addresses/CIDRs that may scrape /metrics without a token (Prometheus on the same network).
    metrics_allow: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Settings":
        """Build settings from ``HELIOS_*`` variables, defaults for the rest."""
        env = os.environ if environ is None else environ
        return cls(
            database_url=env.get("HELIOS_DATABASE_URL", DEFAULT_DATABASE_URL),
            secret_key=env.get("HELIOS_SECRET_KEY", cls.secret_key),
            poll_seconds=_number(env, "HELIOS_POLL_SECONDS", cls.poll_seconds, float, 0.5),
            redis_url=env.get("HELIOS_REDIS_URL") or None,
            statement_timeout=_number(env, "HELIOS_STATEMENT_TIMEOUT", cls.statement_timeout, float, 0.1),
            demo_data=_flag(env.get("HELIOS_DEMO_DATA", "1")),
            demo_validations=_number(env, "HELIOS_DEMO_VALIDATIONS", cls.demo_validations, int, 0),
            public_url=env.get("HELIOS_PUBLIC_URL", cls.public_url),
            max_body_bytes=_number(env, "HELIOS_MAX_BODY_BYTES", cls.max_body_bytes, int, 1024),
            heavy_exports=_number(env, "HELIOS_HEAVY_EXPORTS", cls.heavy_exports, int, 1),
            heavy_export_queue=_number(env, "HELIOS_HEAVY_EXPORT_QUEUE", cls.heavy_export_queue, int, 0),
            heavy_export_wait=_number(env, "HELIOS_HEAVY_EXPORT_WAIT", cls.heavy_export_wait, float, 0),
            static_cache_bytes=_number(env, "HELIOS_STATIC_CACHE_BYTES", cls.static_cache_bytes, int, 0),
            anonymous_role=_anonymous_role(env.get("HELIOS_ANONYMOUS_ROLE", "")),
            session_idle_minutes=_number(env, "HELIOS_SESSION_IDLE_MINUTES", cls.session_idle_minutes, float, 1),
            session_max_hours=_number(env, "HELIOS_SESSION_MAX_HOURS", cls.session_max_hours, float, 0.1),
            rate_limit_api=_rate(env, "HELIOS_RATE_LIMIT_API", cls.rate_limit_api),
            rate_limit_exports=_rate(env, "HELIOS_RATE_LIMIT_EXPORTS", cls.rate_limit_exports),
            rate_limit_sign_in=_rate(env, "HELIOS_RATE_LIMIT_SIGN_IN", cls.rate_limit_sign_in),
            proxy_hops=_number(env, "HELIOS_PROXY_HOPS", cls.proxy_hops, int, 0),
            encryption_keys=_encryption_keys(env.get("HELIOS_ENCRYPTION_KEYS", "")),
            ws_max_connections=_number(env, "HELIOS_WS_MAX_CONNECTIONS", cls.ws_max_connections, int, 0),
            ws_ping_seconds=_number(env, "HELIOS_WS_PING_SECONDS", cls.ws_ping_seconds, float, 1),
            ws_send_queue=_number(env, "HELIOS_WS_SEND_QUEUE", cls.ws_send_queue, int, 1),
            log_format=_log_format(env.get("HELIOS_LOG_FORMAT", "")),
            webhook_allow_loopback=_flag(env.get("HELIOS_WEBHOOK_ALLOW_LOOPBACK", "0")),
            slow_query_ms=_number(env, "HELIOS_SLOW_QUERY_MS", cls.slow_query_ms, float, 0),
            metrics_allow=_networks("HELIOS_METRICS_ALLOW", env.get("HELIOS_METRICS_ALLOW", "")),
        )

    @property
    def secure_cookies(self) -> bool:
        """Cookies are sent over HTTPS only when the public address is HTTPS."""
        return self.public_url.lower().startswith("https://")


def _number(env, name: str, default, kind: type, minimum):
    """``env[name]`` as ``kind`` (int or float), at least ``minimum``; one readable sentence if not."""
    raw = env.get(name)
    if raw is None:
        return default
    try:
        value = kind(raw)
    except ValueError:
        value = None
    if value is None or value != value or value < minimum:  # value != value: NaN
        noun = "a whole number" if kind is int else "a number"
        raise ConfigurationError(f"{name} must be {noun} of at least {minimum}, not {raw!r}.")
    return value


def _anonymous_role(raw: str) -> str | None:
    """Only "viewer" may be opened to anonymous visitors: writes always need an account."""
    value = raw.strip().lower()
    if value in {"", "none", "off"}:
        return None
    if value != "viewer":
        raise ConfigurationError(f"HELIOS_ANONYMOUS_ROLE may only be viewer (or empty for off), not {raw!r}.")
    return value


def _log_format(raw: str) -> str:
    """"text" (the default) or "json"."""
    value = raw.strip().lower() or "text"
    if value not in {"text", "json"}:
        raise ConfigurationError(f"HELIOS_LOG_FORMAT may be json or text, not {raw!r}.")
    return value


def _rate(env, name: str, default: str) -> str:
    """A rate limit such as "300 per minute" or "5/15 minutes"; one readable sentence if unparsable."""
    raw = env.get(name)
    if raw is None:
        return default
    from limits import parse_many

    try:
        limits = parse_many(raw)
    except ValueError:
        limits = []
    if not limits or any(limit.amount < 1 for limit in limits):  # "0 per minute" would shut the door
        raise ConfigurationError(f"{name} must be a rate such as '300 per minute', not {raw!r}.")
    return raw


def _encryption_keys(raw: str) -> tuple[str, ...]:
    """Comma-separated Fernet keys, newest first; a malformed one is named by position, never echoed."""
    import base64
    import binascii

    if not raw.strip():
        return ()
    keys = tuple(part.strip() for part in raw.split(","))
    for position, key in enumerate(keys, start=1):
        try:
            valid = len(base64.urlsafe_b64decode(key.encode("ascii"))) == 32 and len(key) == 44
        except (binascii.Error, ValueError, UnicodeEncodeError):
            valid = False
        if not valid:
            raise ConfigurationError(
                f"HELIOS_ENCRYPTION_KEYS: key {position} of {len(keys)} is not a Fernet key (44 characters of "
                "url-safe base64, 32 bytes); make one with: python -c \"from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())\"")
    if len(set(keys)) != len(keys):
        raise ConfigurationError("HELIOS_ENCRYPTION_KEYS names the same key twice.")
    return keys


def _networks(name: str, raw: str) -> tuple[str, ...]:
    """Comma-separated IP addresses or CIDRs, normalised ("10.0.0.7" -> "10.0.0.7/32"); a bad one is named."""
    import ipaddress

    networks = []
    for part in (part.strip() for part in raw.split(",")):
        if not part:
            continue
        try:
            networks.append(str(ipaddress.ip_network(part, strict=False)))
        except ValueError:
            raise ConfigurationError(f"{name}: {part!r} is not an IP address or network (10.0.0.0/8, ::1).") from None
    return tuple(networks)
