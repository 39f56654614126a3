"""One entry point from a checked export request to a file: page, API and CLI all call it."""
from __future__ import annotations

import importlib
import time
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Callable, Iterator

from ..domain.principal import Principal
from ..ops.metrics import EXPORT_DURATION
from ..services.records import stream_validation_records
from ..services.redaction import NOBODY
from .assemble import build_report
from .config import ExportRequest
from .vocabulary import EXPORT_FORMATS, RECORDS, is_heavy as heavy_export


EXPORTS_PACKAGE = "helios_dash.exports"  # one renderer module per format: exports/<format>.py, to_<format>()


def is_heavy(request: ExportRequest) -> bool:
    """Whether ``request`` is heavy work (PDF, XLSX or the full-record CSV): bounded per process by jobs.heavy."""
    return heavy_export(request.format, request.include)


@dataclass(frozen=True)
class ExportFile:
    """Bytes (or a stream of them for large CSV) with what a download needs to name them."""

    content: bytes | Iterator[bytes]
    media_type: str
    filename: str


def export_view(request: ExportRequest, title: str, base_url: str, principal: Principal = NOBODY) -> ExportFile:
    """Render the view described by ``request`` in its format, as ``principal`` may see it.

    Timed in helios_export_duration_seconds{format}: a file when it is rendered, a stream when its
    last chunk has been made (or the client left), since producing it is that long.
    """
    started = time.perf_counter()
    exported = render_view(request, title, base_url, principal)

    def observe() -> None:
        EXPORT_DURATION.labels(request.format).observe(time.perf_counter() - started)

    if isinstance(exported.content, bytes):
        observe()
        return exported
    return replace(exported, content=observed_at_end(exported.content, observe))


def observed_at_end(chunks: Iterator[bytes], observe: Callable[[], None]) -> Iterator[bytes]:
    """``chunks``, calling ``observe`` once they are exhausted or the stream is closed."""
    try:
        yield from chunks
    finally:
        observe()


def render_view(request: ExportRequest, title: str, base_url: str, principal: Principal = NOBODY) -> ExportFile:
    """The export of ``request`` in its format (untimed: call ``export_view``)."""
    stamp = datetime.now(request.filters.zone).strftime("%Y%m%d-%H%M")
    stem = f"helios-{'-'.join(i for i in request.include if i != 'metadata') or 'report'}-{stamp}"
    fmt = EXPORT_FORMATS[request.format]
    if RECORDS in request.include:  # every record: CSV only (reports.config refuses any other format)
        from ..exports.csv import iter_csv_records

        rows = stream_validation_records(request.filters)
        return ExportFile(iter_csv_records(rows, request.filters.tz), fmt.media_type, f"{stem}.{fmt.extension}")
    report = build_report(title, request.filters, request.include, base_url, request.include_charts,
                          request.view_options(), principal)
    # Imported on use: the PDF renderer pulls in Kaleido, which other formats never need.
    renderer = getattr(importlib.import_module(f"{EXPORTS_PACKAGE}.{fmt.name}"), f"to_{fmt.name}")
    return ExportFile(renderer(report), fmt.media_type, f"{stem}.{fmt.extension}")
