"""One entry point from a checked export request to a file: page, API and CLI all call it."""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import datetime
from typing import Iterator

from ..services.records import stream_validation_records
from .config import RECORDS, ExportRequest
from .views import build_report

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "pdf": "application/pdf",
}

# What costs seconds of CPU (charts drawn in Chromium, typed workbooks, every record):
# bounded per process by jobs.heavy. JSON and single-table CSV are as light as a page.
HEAVY_FORMATS = ("pdf", "xlsx")


def is_heavy(request: ExportRequest) -> bool:
    """Whether ``request`` is heavy work (PDF, XLSX or the full-record CSV)."""
    return request.format in HEAVY_FORMATS or RECORDS in request.include


@dataclass(frozen=True)
class ExportFile:
    """Bytes (or a stream of them for large CSV) with what a download needs to name them."""

    content: bytes | Iterator[bytes]
    media_type: str
    filename: str


def export_view(request: ExportRequest, title: str, base_url: str) -> ExportFile:
    """Render the view described by ``request`` in its format."""
    stamp = datetime.now(request.filters.zone).strftime("%Y%m%d-%H%M")
    stem = f"helios-{'-'.join(i for i in request.include if i != 'metadata') or 'report'}-{stamp}"
    media_type = MEDIA_TYPES[request.format]
    if RECORDS in request.include:
        from .csv import iter_csv_records

        rows = stream_validation_records(request.filters)
        return ExportFile(iter_csv_records(rows, request.filters.tz), media_type, f"{stem}.csv")
    report = build_report(title, request.filters, request.include, base_url, request.include_charts,
                          request.view_options())
    # Imported on use: the PDF renderer pulls in Kaleido, which other formats never need.
    renderer = getattr(importlib.import_module(f"{__package__}.{request.format}"), f"to_{request.format}")
    return ExportFile(renderer(report), media_type, f"{stem}.{request.format}")
