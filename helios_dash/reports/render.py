"""One entry point from a checked export request to a file: page, API and CLI all call it."""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import datetime
from typing import Iterator

from ..domain.principal import Principal
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
    """Render the view described by ``request`` in its format, as ``principal`` may see it."""
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
