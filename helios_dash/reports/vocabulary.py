"""The export vocabulary: which reports there are (kinds) and which files they come in (formats).

The API's ``/api/v1/export/<kind>``, every page's Download menu, the command line's
``export`` and the renderer all read their names, titles, media types and labels here.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExportFormat:
    """A file format of an export: what the download is called and how costly it is to make."""

    name: str  # "csv": as the API's ``format`` and the CLI's ``--format`` name it
    media_type: str
    extension: str
    label: str  # the Download menu's item
    # Costs seconds of CPU (charts drawn in Chromium, typed workbooks): bounded per process by jobs.heavy.
    heavy: bool


@dataclass(frozen=True)
class ExportKind:
    """A report one can ask for: the sections it holds by default, its title, where it is offered."""

    name: str  # "leaderboard": the API's ``/export/<kind>`` and the CLI's KIND
    sections: tuple[str, ...]  # in the order of SECTIONS; a CSV (one table) holds the first one
    title: str
    page: bool  # a page's Download menu exports it (the kind is named after the page)
    command_line: bool  # ``helios-dash export`` offers it (the others need a page's options)

    def sections_for(self, fmt: str) -> tuple[str, ...]:
        """The sections of this kind in format ``fmt`` (see ``default_sections``)."""
        return default_sections(self.sections, fmt)


def default_sections(sections: tuple[str, ...], fmt: str) -> tuple[str, ...]:
    """``sections`` as format ``fmt`` holds them: a CSV (one table) only the first table, and the metadata."""
    if fmt != "csv":
        return sections
    tables = [name for name in sections if name != "metadata"]
    return tuple(tables[:1]) + (("metadata",) if "metadata" in sections else ())


# In the order of the Download menu; JSON and single-table CSV are as light as a page.
EXPORT_FORMATS = {f.name: f for f in (
    ExportFormat("csv", "text/csv; charset=utf-8", "csv", "CSV (main table)", heavy=False),
    ExportFormat("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx",
                 "Excel workbook", heavy=True),
    ExportFormat("json", "application/json", "json", "JSON", heavy=False),
    ExportFormat("pdf", "application/pdf", "pdf", "PDF report with charts", heavy=True),
)}

# What a report may hold, in the order it holds it; ``metadata`` (filters, period, time, link) always comes last.
SECTIONS = ("kpis", "top", "recent", "leaderboard", "algorithms", "statistics", "trends", "comparison",
            "differences", "algorithm", "metadata")
RECORDS = "validations"  # every raw record: CSV only, streamed (heavy, whatever its format)

EXPORT_KINDS = {k.name: k for k in (
    ExportKind("overview", ("kpis", "recent", "top", "metadata"), "HELIOS overview", page=True, command_line=False),
    ExportKind("domains", ("statistics", "metadata"), "HELIOS domain statistics", page=True, command_line=False),
    ExportKind("trends", ("trends", "metadata"), "HELIOS performance trends", page=True, command_line=False),
    # The differences are the page's answer: the CSV (one table) holds them, every other format both.
    ExportKind("compare", ("differences", "comparison", "metadata"), "HELIOS algorithm comparison",
               page=True, command_line=False),
    ExportKind("leaderboard", ("leaderboard", "metadata"), "HELIOS leaderboard", page=True, command_line=True),
    ExportKind("algorithm", ("algorithm", "metadata"), "HELIOS algorithm", page=True, command_line=False),
    ExportKind("algorithms", ("algorithms", "metadata"), "HELIOS algorithms", page=False, command_line=True),
    ExportKind("report", ("kpis", "leaderboard", "statistics", "metadata"), "HELIOS performance report",
               page=False, command_line=True),
)}
PAGE_KINDS = tuple(name for name, kind in EXPORT_KINDS.items() if kind.page)
COMMAND_LINE_KINDS = tuple(name for name, kind in EXPORT_KINDS.items() if kind.command_line)


def is_heavy(fmt: str, sections: tuple[str, ...]) -> bool:
    """Whether an export in ``fmt`` of ``sections`` is heavy work (PDF, XLSX or every record)."""
    return EXPORT_FORMATS[fmt].heavy or RECORDS in sections
