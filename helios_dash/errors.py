"""The one error hierarchy: services raise these, adapters translate them."""
from __future__ import annotations


class HeliosError(Exception):
    """Base of every error HELIOS raises on purpose; ``code`` names it in the API."""

    code = "INTERNAL_ERROR"
    http_status = 500

    def __init__(self, message: str, details: list[dict] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or []


class BadRequest(HeliosError):
    code = "VALIDATION_ERROR"
    http_status = 400


class NotFound(HeliosError):
    code = "NOT_FOUND"
    http_status = 404


class Forbidden(HeliosError):
    code = "FORBIDDEN"
    http_status = 403


class Conflict(HeliosError):
    code = "CONFLICT"
    http_status = 409


class StoreError(HeliosError):
    """The analytics store cannot be opened or used as it is."""

    code = "STORE_UNAVAILABLE"
    http_status = 503


class QueryTimeout(HeliosError):
    """A statement ran past the store's time limit and was cancelled."""

    code = "QUERY_TIMEOUT"
    http_status = 503


class Busy(HeliosError):
    """Too much heavy work in progress; ``retry_after`` seconds is a fair time to try again."""

    code = "BUSY"
    http_status = 503

    def __init__(self, message: str, retry_after: int):
        super().__init__(message, [{"field": "retry_after", "message": f"retry in {retry_after} s",
                                    "retry_after": retry_after}])
        self.retry_after = retry_after


class UnsupportedMediaType(HeliosError):
    code = "UNSUPPORTED_MEDIA_TYPE"
    http_status = 415


class ConfigurationError(HeliosError):
    """A ``HELIOS_*`` setting that cannot be used."""

    code = "CONFIGURATION_ERROR"


class Unauthenticated(HeliosError):
    """No valid credentials: sign in, or send a token."""

    code = "UNAUTHENTICATED"
    http_status = 401


class TooManyRequests(HeliosError):
    """A rate limit was reached; ``retry_after`` seconds until the window lets another through."""

    code = "RATE_LIMITED"
    http_status = 429

    def __init__(self, message: str, retry_after: int):
        super().__init__(message, [{"field": "retry_after", "message": f"retry in {retry_after} s",
                                    "retry_after": retry_after}])
        self.retry_after = retry_after
