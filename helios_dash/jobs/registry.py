"""Named job functions, and the message that asks for one to run.

A job is referred to by name, never by pickled code: the queue may be read by a
worker on another host running the same code base. ``@register("name")`` makes a
function runnable; its keyword arguments must survive JSON, because that is how
they travel (the in-process runner round-trips them too, so a job that works
embedded works on the shared queue).
"""
from __future__ import annotations

import json
import time
import uuid
from typing import Callable

from ..errors import BadRequest, HeliosError
from ..ops.context import carrying_request_id, current_request_id

JOBS: dict[str, Callable[..., object]] = {}
STATUSES = ("queued", "running", "done", "failed")
MAX_ERROR_CHARS = 2000


class UnknownJob(BadRequest):
    """No job of that name is registered."""


class JobQueueUnavailable(HeliosError):
    """The shared job queue (Redis) cannot be reached."""

    code = "QUEUE_UNAVAILABLE"
    http_status = 503


def register(name: str):
    """Decorator: make the function runnable as job ``name``."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"A job name is a non-empty string, not {name!r}.")

    def decorate(function):
        existing = JOBS.get(name)
        if existing is not None and _origin(existing) != _origin(function):  # a reload re-registers
            raise ValueError(f"Job name {name!r} is already taken by {_origin(existing)}.")
        JOBS[name] = function
        return function

    return decorate


def _origin(function) -> str:
    return f"{function.__module__}.{function.__qualname__}"


def new_message(name: str, kwargs: dict) -> dict:
    """The message for one run of job ``name``; ``UnknownJob`` or ``BadRequest`` if it cannot be."""
    if name not in JOBS:
        known = ", ".join(sorted(JOBS)) or "none"
        raise UnknownJob(f"There is no job named {name!r} (registered jobs: {known}).")
    try:
        encoded = json.dumps(kwargs, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise BadRequest(f"The arguments of job {name!r} must be JSON-serialisable: {error}.") from error
    return {"id": uuid.uuid4().hex, "name": name, "kwargs": json.loads(encoded), "enqueued_at": time.time(),
            "request_id": current_request_id()}  # the submitting request's, so the job's log lines quote it


def run_message(message: dict) -> None:
    """Run the job a message asks for (``UnknownJob`` if this process does not know it)."""
    function = JOBS.get(message["name"])
    if function is None:
        raise UnknownJob(f"This worker has no job named {message['name']!r}; is it running older code?")
    with carrying_request_id(message.get("request_id")):  # .get: messages queued by older code have none
        function(**message["kwargs"])


def describe_error(error: BaseException) -> str:
    """A failed job's error as kept in its status: type and message, bounded."""
    return f"{type(error).__name__}: {error}"[:MAX_ERROR_CHARS]
