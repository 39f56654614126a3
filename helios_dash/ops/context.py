"""Which request the work in hand belongs to: the request's own id, or the id a background job carries.

A job submitted during a request carries that request's id in its message; while the job
runs, the id sits in a context variable, so its log lines (and webhooks it sends) quote it.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from flask import has_request_context

from ..request_ids import request_id

# Set while a job runs (``carrying_request_id``); a context variable, so each job thread has its own.
_carried: ContextVar[str | None] = ContextVar("helios_request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being handled, else of the request that submitted the running job, else None."""
    if has_request_context():
        return request_id()
    return _carried.get()


@contextmanager
def carrying_request_id(value: str | None):
    """Within the block, ``current_request_id()`` answers ``value`` (outside a request)."""
    token = _carried.set(value)
    try:
        yield
    finally:
        _carried.reset(token)
