"""The HELIOS API's async Python client: ``from helios_dash.client import HeliosClient``."""
from .client import HeliosClient
from .errors import (AuthenticationError, ConflictError, HeliosConnectionError, HeliosError, NotFoundError,
                     PermissionDeniedError, RateLimitError, ServerError, ValidationError)
from .sse import ServerSentEvent

__all__ = ["HeliosClient", "HeliosError", "AuthenticationError", "PermissionDeniedError", "NotFoundError",
           "ValidationError", "ConflictError", "RateLimitError", "ServerError", "HeliosConnectionError",
           "ServerSentEvent"]
