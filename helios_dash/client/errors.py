"""Typed exceptions for the API's error envelope ``{"status": "error", "error": {"code", "message", "details"}}``."""
from __future__ import annotations

from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import httpx

REQUEST_ID_HEADER = "X-Request-Id"


class HeliosError(Exception):
    """Base of every error the client raises: the envelope's code, message and details, the HTTP status, the request id."""

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None,
                 details: list | None = None, request_id: str | None = None, response: httpx.Response | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.details = details or []
        self.request_id = request_id
        self.response = response

    def __str__(self) -> str:
        where = f" (HTTP {self.status}, request {self.request_id})" if self.status else ""
        return f"{self.code or 'ERROR'}: {self.message}{where}"


class AuthenticationError(HeliosError):
    """401: no valid credentials (a missing, wrong, expired or revoked key)."""


class PermissionDeniedError(HeliosError):
    """403: the key is valid but its role or scopes do not allow this."""


class NotFoundError(HeliosError):
    """404: no such resource (or endpoint)."""


class ValidationError(HeliosError):
    """400 or 422: the request was refused as it is; ``details`` name the fields."""


class ConflictError(HeliosError):
    """409: the request conflicts with the resource's state."""


class RateLimitError(HeliosError):
    """429: too many requests; ``retry_after`` is the seconds the server asked to wait (None if it did not say)."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(HeliosError):
    """5xx: the server failed or is busy; ``retry_after`` is set when it said when to come back (503)."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class HeliosConnectionError(HeliosError):
    """The server could not be reached, or the connection broke before an answer came."""


BY_STATUS = {400: ValidationError, 401: AuthenticationError, 403: PermissionDeniedError, 404: NotFoundError,
             409: ConflictError, 422: ValidationError, 429: RateLimitError}


def error_for(response: httpx.Response) -> HeliosError:
    """The typed exception for an error ``response``; a body that is not the envelope (a proxy's page) still maps by status."""
    code, message, details = _envelope_error(response)
    kind = BY_STATUS.get(response.status_code) or (ServerError if response.status_code >= 500 else HeliosError)
    fields = dict(code=code, status=response.status_code, details=details,
                  request_id=response.headers.get(REQUEST_ID_HEADER), response=response)
    if kind in (RateLimitError, ServerError):
        fields["retry_after"] = retry_after_seconds(response)
    return kind(message, **fields)


def _envelope_error(response: httpx.Response) -> tuple[str, str, list]:
    """(code, message, details) from the envelope; for any other body, a code from the status and the body's start."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        error = None
    if isinstance(error, dict):
        details = error.get("details")
        return (str(error.get("code") or f"HTTP_{response.status_code}"),
                str(error.get("message") or response.reason_phrase),
                details if isinstance(details, list) else [])
    if response.is_redirect:  # never followed: X-API-Key would travel to wherever it points
        return (f"HTTP_{response.status_code}",
                f"Redirected to {response.headers.get('Location')}; use that address as base_url.", [])
    text = response.text.strip()[:200] if _readable(response) else ""
    return f"HTTP_{response.status_code}", text or response.reason_phrase or "error", []


def _readable(response: httpx.Response) -> bool:
    try:
        response.text
    except httpx.ResponseNotRead:
        return False
    return True


def retry_after_seconds(response: httpx.Response, now: datetime | None = None) -> float | None:
    """``Retry-After`` in seconds (delay-seconds or an HTTP date, RFC 9110 10.2.3); None when absent or unreadable."""
    raw = response.headers.get("Retry-After", "").strip()
    if not raw:
        return None
    if raw.isdigit():
        return float(raw)
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())
