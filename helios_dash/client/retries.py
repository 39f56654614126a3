"""When the client asks again: 429 (and 503 with ``Retry-After``) after the time the server names, within bounds."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx

from .errors import retry_after_seconds

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


async def pause(seconds: float) -> None:
    """Wait before the next attempt (tests replace this; nothing in the client times itself)."""
    await asyncio.sleep(seconds)


@dataclass(frozen=True)
class RetryPolicy:
    """``max_retries`` more attempts at most; never a wait longer than ``max_wait`` seconds.

    A 429 (and a 503 carrying ``Retry-After``: the server refused before doing any work, as the
    busy-export gate does) is retried for every method, POSTs included, because nothing was done.
    A server that asks for longer than ``max_wait`` gets the error back at once: waiting less
    than it asked would only be refused again. Connection failures are retried for idempotent
    methods only; a POST that may have reached the server is never sent twice.
    """

    max_retries: int = 3
    max_wait: float = 120.0  # above 61 s: a per-minute window's Retry-After, rounded up, can reach it
    retry_busy: bool = True
    backoff: float = 1.0  # first wait when the server names none; doubled at each attempt

    def delay_after_response(self, response: httpx.Response, attempt: int) -> float | None:
        """Seconds to wait before attempt ``attempt + 1`` after ``response``; None: do not retry."""
        if attempt >= self.max_retries:
            return None
        status = response.status_code
        named = retry_after_seconds(response)
        if status == 429:
            wait = named if named is not None else self.backoff * 2 ** attempt
        elif status == 503 and self.retry_busy and named is not None:
            wait = named
        else:
            return None
        return wait if wait <= self.max_wait else None

    def delay_after_failure(self, may_resend: bool, attempt: int) -> float | None:
        """Seconds to wait after a connection failure, for requests safe to send twice only; None: give up."""
        if attempt >= self.max_retries or not may_resend:
            return None
        return min(self.backoff * 2 ** attempt, self.max_wait)
