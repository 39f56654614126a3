"""Rate limits with Flask-Limiter: moving windows in Redis when configured (shared by every
worker and host), in memory otherwise; keyed by token, then user, then client address.

- the API (``/api/v1``): HELIOS_RATE_LIMIT_API per key;
- exports: HELIOS_RATE_LIMIT_EXPORTS on top (they cost far more than a read);
- failed sign-ins: HELIOS_RATE_LIMIT_SIGN_IN per account and address (``SignInThrottle``).
Dash callbacks are not limited: one page fires a dozen at once, and each already needs a
signed-in session or the anonymous role.
"""
from __future__ import annotations

import logging
import math
import time

from flask import Flask, make_response, request
from flask_limiter import HeaderNames, Limiter, RequestLimit
from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from ..api.envelope import failure
from ..settings import Settings
from .current import current_principal

log = logging.getLogger(__name__)
LIMITER_KEY = "helios.limiter"


def rate_key() -> str:
    """Who a limit counts against: the token, else the signed-in user, else the client address."""
    principal = current_principal()
    if principal.token_id is not None:
        return f"token:{principal.token_id}"
    if principal.user_id is not None:
        return f"user:{principal.user_id}"
    return f"ip:{request.remote_addr}"


def rate_limited(limit: RequestLimit):
    """The 429 envelope, with Retry-After (Flask-Limiter adds the X-RateLimit-* headers)."""
    retry = max(1, math.ceil(limit.reset_at - time.time()))
    body, status, headers = failure(
        "RATE_LIMITED", f"Too many requests ({limit.limit}); try again in {retry} s.",
        [{"field": "retry_after", "message": f"retry in {retry} s", "retry_after": retry}],
        status=429, headers={"Retry-After": str(retry)})
    response = make_response(body, status)
    response.headers.update(headers)
    return response


def init_limits(server: Flask, settings: Settings) -> Limiter:
    """One limiter per app (its storage is its own), limits on the API blueprint and the export view."""
    limiter = Limiter(
        rate_key,
        app=server,
        storage_uri=settings.redis_url or "memory://",
        strategy="moving-window",
        headers_enabled=True,
        # Flask-Limiter would put Retry-After on every limited answer, 200s included, and raise a
        # 503's own (busy exports) to its window's reset; only 429s and 503s say when to retry here.
        header_name_mapping={HeaderNames.RETRY_AFTER: "X-RateLimit-Retry-After"},
        key_prefix="helios",
        on_breach=rate_limited,
        # A Redis outage must not take the API down with it: count in memory meanwhile.
        in_memory_fallback_enabled=bool(settings.redis_url),
    )
    # One budget across every API route (a plain blueprint limit would count each route apart).
    limiter.shared_limit(settings.rate_limit_api, scope="api")(server.blueprints["api"])
    # Flask-Limiter checks a decorated view when it is called, so the registered view is replaced.
    server.view_functions["api.export"] = limiter.limit(settings.rate_limit_exports, override_defaults=False)(
        server.view_functions["api.export"])
    # A 429 handler by code comes before the API's catch-all HTTPException handler, so the
    # envelope built by ``rate_limited`` is what the client gets.
    server.register_error_handler(429, lambda error: getattr(error, "response", None) or error)
    server.extensions[LIMITER_KEY] = limiter
    server.extensions["helios.sign_in_throttle"] = SignInThrottle(limiter, settings.rate_limit_sign_in)
    return limiter


class SignInThrottle:
    """Failed sign-ins per (account, address), in the limiter's storage and window strategy.

    Every limit of the setting counts ("10 per minute; 50 per day"). When the shared storage
    (Redis) does not answer, failures are counted in this process instead: sign-in keeps
    working and stays throttled, per worker, until Redis is back.
    """

    def __init__(self, limiter: Limiter, rate: str):
        self._limiter = limiter
        self._rates = parse_many(rate)
        self._local = MovingWindowRateLimiter(MemoryStorage())

    def retry_after(self, email: str, ip: str | None) -> int:
        """Seconds until another attempt is allowed, or 0 when one is allowed now."""
        key, strategy = self._key(email, ip), self._strategy()
        waits = []
        for rate in self._rates:
            if not self._call(strategy.test, rate, key):
                reset_at, _remaining = self._call(strategy.get_window_stats, rate, key)
                waits.append(max(1, math.ceil(reset_at - time.time())))
        return max(waits, default=0)

    def failed(self, email: str, ip: str | None) -> None:
        """Count one failure against every limit."""
        key, strategy = self._key(email, ip), self._strategy()
        for rate in self._rates:
            self._call(strategy.hit, rate, key)

    def _strategy(self):
        return self._limiter.limiter

    def _call(self, method, *args):
        try:
            return method(*args)
        except Exception:  # the storage is down: the same question to this process's own counts
            log.warning("Rate-limit storage unreachable; counting failed sign-ins in this process")
            return getattr(self._local, method.__name__)(*args)

    def _key(self, email: str, ip: str | None) -> str:
        return f"helios/sign-in/{str(email).strip().lower()}/{ip}"


def sign_in_throttle(server: Flask) -> SignInThrottle:
    return server.extensions["helios.sign_in_throttle"]
