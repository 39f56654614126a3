"""A research project as Server-Sent Events: one ``result`` event per result, heartbeats, then ``end``.

The generator reads the project's rows (it needs no request, and holds no connection between
polls), so a stream follows a job running in any process or on any host.
"""
from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Iterator

from .service import ACTIVE, describe, describe_result, project_row, results_of, texts_of

HEARTBEAT = ": heartbeat\n\n"
POLL_SECONDS = 0.25  # how often the rows are read while the job runs


def research_events(store, keyring, project_id: str, after: int, heartbeat_seconds: float,
                    poll_seconds: float = POLL_SECONDS) -> Iterator[str]:
    """The SSE text of the project's results after position ``after``, until the project ends."""
    texts = texts_of(project_row(store, project_id), keyring)
    quiet_since = time.monotonic()
    yield ": open\n\n"  # the headers go out now, not with the first result
    while True:
        row = project_row(store, project_id)  # read before the results: an ended row's results are all there
        for result in results_of(store, project_id, after):
            after = int(result["position"])
            yield event("result", describe_result(result, texts), after)
            quiet_since = time.monotonic()
        if row is None or row["status"] not in ACTIVE:
            if row is not None:
                yield event("end", describe(row, results_of(store, project_id), texts))
            return
        time.sleep(min(poll_seconds, heartbeat_seconds))
        if time.monotonic() - quiet_since >= heartbeat_seconds:
            yield HEARTBEAT
            quiet_since = time.monotonic()


def event(name: str, data: dict, event_id: int | None = None) -> str:
    """One SSE event; ``data`` as one line of JSON (times as ISO-8601 UTC with ``Z``)."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {name}\ndata: {json.dumps(data, default=_iso, ensure_ascii=False)}\n\n"


def _iso(value):
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds").replace("+00:00", "Z")
    raise TypeError(f"{type(value).__name__} is not JSON")
