"""Server-Sent Events read from a stream of lines, as the HTML standard's event-stream parser reads them."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import AsyncIterable, AsyncIterator


@dataclass(frozen=True)
class ServerSentEvent:
    """One dispatched event: its type, its data (JSON-decoded when it is JSON), its id and the raw data text."""

    event: str
    data: object
    id: str | None
    raw: str


@dataclass
class StreamState:
    """What outlives one connection: the last event id (sent back as ``Last-Event-ID``) and the server's ``retry``."""

    last_event_id: str | None = None
    retry_ms: int | None = None


async def parse_events(lines: AsyncIterable[str], state: StreamState) -> AsyncIterator[ServerSentEvent]:
    """Events of ``lines`` (without line endings); ``state`` follows the ``id:`` and ``retry:`` fields.

    An ``id`` counts once its event is complete (the blank line after it), so a connection cut
    inside an event resumes before it. Comments (``: heartbeat``) are skipped; a block without
    ``data`` dispatches nothing but still sets the last event id, as the standard says.
    """
    event_type, data_lines, seen_data = "", [], False
    pending_id = state.last_event_id  # committed only when its event is complete (the blank line)
    async for line in lines:
        if line == "":
            state.last_event_id = pending_id
            if seen_data:
                raw = "\n".join(data_lines)
                yield ServerSentEvent(event_type or "message", decode(raw), state.last_event_id, raw)
            event_type, data_lines, seen_data = "", [], False
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "event":
            event_type = value
        elif field == "data":
            data_lines.append(value)
            seen_data = True
        elif field == "id" and "\0" not in value:
            pending_id = value
        elif field == "retry" and value.isascii() and value.isdigit():
            state.retry_ms = int(value)
    # An event not ended by a blank line is incomplete: the standard discards it.


def decode(raw: str):
    """The data as JSON when it is JSON, else the text itself."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw
