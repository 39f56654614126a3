"""The principal of the request being handled, for adapters (pages, API, exports) to pass to services."""
from __future__ import annotations

from flask import g, has_request_context

from ..domain.principal import Principal, anonymous

PRINCIPAL_KEY = "principal"


def current_principal() -> Principal:
    """The guard's principal for this request; outside a request (a test calling a callback, a
    command), the anonymous visitor, who sees the least (sensitive fields redacted)."""
    if has_request_context():
        found = g.get(PRINCIPAL_KEY)
        if found is not None:
            return found
    return anonymous()


def set_current_principal(principal: Principal) -> None:
    """Called once per request by the guard."""
    setattr(g, PRINCIPAL_KEY, principal)
