"""The id of the request being handled: the client's valid ``X-Request-Id``, else a new ``req_`` id.

One id per request, shared by the envelope's ``meta.request_id``, the ``X-Request-Id``
response header, log lines and audit entries, so a client can quote either and find the other.
"""
from __future__ import annotations

import re
import uuid

from flask import g, has_request_context, request

HEADER = "X-Request-Id"
# What a client may choose: short, and safe to echo in a header and a log line.
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
G_KEY = "request_id"  # the guard drops it at the start of every request


def new_request_id() -> str:
    """A fresh id: ``req_`` and 12 hex digits."""
    return f"req_{uuid.uuid4().hex[:12]}"


def request_id() -> str:
    """This request's id, chosen once per request; outside a request, a new one at each call."""
    if not has_request_context():
        return new_request_id()
    if G_KEY not in g:
        sent = request.headers.get(HEADER, "")
        # An invalid id (too long, spaces, control characters) is replaced, never echoed.
        setattr(g, G_KEY, sent if VALID_REQUEST_ID.fullmatch(sent) else new_request_id())
    return getattr(g, G_KEY)
