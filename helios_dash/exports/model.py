"""What an export holds, independent of its format."""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

import pandas as pd
import plotly.graph_objects as go

from ..domain.metrics import Metric
from ..filters import Filters


@dataclass(frozen=True)
class Column:
    """How one column of a table is shown: its header and its kind of value."""

    key: str
    header: str
    # "text", "int", "float1" (one decimal), "float2", "percent" (a 0-1 share),
    # "speedup" (a ratio shown as 1.23x), "datetime" (tz-aware UTC), "date", or "number" (rows of
    # different measures, as key figures: shown as they come, 2 decimals at most)
    kind: str = "text"
    # Long free text (internal notes): the PDF wraps it over several lines instead of cutting it short.
    wrap: bool = False

    @classmethod
    def of(cls, metric: Metric, key: str | None = None, header: str | None = None) -> Column:
        """The column of a registry ``metric``: its key, label and format, unless ``key`` or ``header`` differ."""
        return cls(key or metric.key, header or metric.label, metric.format)


@dataclass(frozen=True)
class Table:
    """A section of the export: rows in the order the view shows them."""

    name: str  # "leaderboard", "algorithms", "statistics", ...: the sheet or section key
    title: str
    columns: tuple[Column, ...]
    frame: pd.DataFrame  # holds at least every column key; numbers stay numbers

    def rows(self) -> pd.DataFrame:
        """The shown columns only, in order, with their headers as column names."""
        return self.frame[[c.key for c in self.columns]].set_axis([c.header for c in self.columns], axis=1)


@dataclass(frozen=True)
class Chart:
    """A chart of the view, with a sentence that says what it shows."""

    title: str
    # A figure, or a function drawing it: only the PDF shows charts, and building a plotly figure
    # cost ~60 ms of an 80 ms leaderboard CSV export, so other formats never draw them.
    figure: go.Figure | Callable[[], go.Figure]
    summary: str = ""
    section: str = ""  # the section it belongs to: the PDF prints it beside that section's tables

    @functools.cached_property
    def drawn(self) -> go.Figure:
        """The figure, drawn at the first ask if it was given as a function."""
        return self.figure() if callable(self.figure) else self.figure


@dataclass(frozen=True)
class ViewOptions:
    """What a page's view adds to its filters: the table's sort and search, the Trends split and rolling mean."""

    sort_by: str | None = None
    descending: bool = True
    search: str | None = None  # the Leaderboard's quick search (``q``)
    split: str | None = None  # Trends: "domain" or "type", one series each
    rolling: int | None = None  # Trends: rolling mean over this many periods


@dataclass(frozen=True)
class Report:
    """Everything an export of one view contains."""

    title: str
    filters: Filters
    generated_at: datetime  # tz-aware, in the viewer's timezone (filters.tz)
    link: str  # the dashboard URL that reopens this view
    tables: tuple[Table, ...] = ()
    charts: tuple[Chart, ...] = ()
    kpis: tuple[tuple[str, str], ...] = ()  # (label, formatted value)
    notes: tuple[str, ...] = ()  # sentences worth printing, e.g. the leaderboard summary
    metadata: dict[str, str] = field(default_factory=dict)  # filters, period, generated, link

    def table(self, name: str) -> Table | None:
        """The section called ``name``, if the report has it."""
        return next((t for t in self.tables if t.name == name), None)
