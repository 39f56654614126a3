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


def audit_context():
    """The client address and request id of this request, for audit entries (empty outside a request)."""
    from flask import request

    from ..accounts.audit import Context
    from ..api.envelope import request_id

    if not has_request_context():
        return Context()
    return Context(ip=request.remote_addr, request_id=request_id())


def audit_export(kind: str, export_request) -> None:
    """Audit an export made in this request: who, which kind, format, filters and sections."""
    from ..accounts.audit import record_export
    from ..runtime import get_store

    record_export(get_store(), current_principal(), kind, export_request.format, export_request.filters.to_query(),
                  audit_context(), sections=list(export_request.include))
