"""Exports through the heavy-work gate: what the API and the Download menu both call."""
from __future__ import annotations

from typing import Iterator

from ..domain.principal import Principal
from ..reports.config import ExportRequest
from ..reports.render import ExportFile, export_view, is_heavy
from ..services.redaction import NOBODY
from .heavy import HeavyWorkGate, HeavyWorkPass


def export_bounded(request: ExportRequest, title: str, base_url: str, gate: HeavyWorkGate,
                   principal: Principal = NOBODY) -> ExportFile:
    """Render like ``export_view`` (as ``principal`` may see it); heavy formats wait for a slot or raise ``Busy``.

    A streamed file keeps its slot until the stream is closed (sent, or the client left).
    """
    if not is_heavy(request):
        return export_view(request, title, base_url, principal)
    held = gate.enter()
    try:
        exported = export_view(request, title, base_url, principal)
    except BaseException:
        held.release()
        raise
    if isinstance(exported.content, bytes):
        held.release()
        return exported
    return ExportFile(ReleasingStream(exported.content, held), exported.media_type, exported.filename)


class ReleasingStream:
    """An iterator of chunks that gives its slot back when exhausted or closed (idempotent)."""

    def __init__(self, chunks: Iterator[bytes], held: HeavyWorkPass):
        self._chunks = chunks
        self._held = held

    def __iter__(self) -> "ReleasingStream":
        return self

    def __next__(self) -> bytes:
        try:
            return next(self._chunks)
        except BaseException:  # the end, or a failure mid-stream: either way the slot is free
            self.close()
            raise

    def close(self) -> None:
        try:
            close = getattr(self._chunks, "close", None)
            if close:
                close()  # a generator's finally discards its connection (store.py)
        finally:
            self._held.release()
