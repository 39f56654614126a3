"""Trends charts: one line (or bar) per series, periods in the viewer's timezone."""
from __future__ import annotations

from datetime import date, datetime
from itertools import cycle
from typing import NamedTuple
from zoneinfo import ZoneInfo

import pandas as pd
import plotly.graph_objects as go

from ..domain.metrics import (MEAN_QUALITY, MEAN_SPEEDUP, ROLLING_QUALITY, ROLLING_SPEEDUP, VALIDATIONS,
                              Metric)
from .common import PALETTE, base_figure, empty_figure

PERIOD_AXIS = {"day": "Day", "week": "Week starting Monday", "month": "Month"}
PERIOD_HOVER = {"day": "%a %d %b %Y", "week": "week of %d %b %Y", "month": "%B %Y"}
PERIOD_LENGTH = {"day": pd.DateOffset(days=1), "week": pd.DateOffset(weeks=1), "month": pd.DateOffset(months=1)}


class Measure(NamedTuple):
    """A measure per period and its rolling mean, both from the metric registry."""

    each: Metric
    rolling: Metric


QUALITY = Measure(MEAN_QUALITY, ROLLING_QUALITY)
SPEEDUP = Measure(MEAN_SPEEDUP, ROLLING_SPEEDUP)


def quality_trend_chart(trends: pd.DataFrame, granularity: str = "week", tz: str = "UTC",
                        rolling: int | None = None) -> go.Figure:
    """Mean quality per period, one line per series; with ``rolling``, its rolling mean over the raw points."""
    return _metric_chart(trends, QUALITY, granularity, tz, rolling)


def speedup_trend_chart(trends: pd.DataFrame, granularity: str = "week", tz: str = "UTC",
                        rolling: int | None = None) -> go.Figure:
    """Mean speedup per period, one line per series; with ``rolling``, its rolling mean over the raw points."""
    return _metric_chart(trends, SPEEDUP, granularity, tz, rolling)


def count_trend_chart(trends: pd.DataFrame, granularity: str = "week", tz: str = "UTC") -> go.Figure:
    """Validations per period as bars, stacked by series."""
    title = f"{VALIDATIONS.label} per {granularity}"
    if _is_empty(trends):
        return empty_figure(title)
    figure = base_figure(title, _x_title(granularity, tz), VALIDATIONS.axis)
    hover = (f"%{{x|{PERIOD_HOVER[granularity]}}}<br>%{{fullData.name}}: {VALIDATIONS.hover('y')} validations"
             "<extra></extra>")
    for colour, (name, part) in zip(cycle(PALETTE), _series(trends)):
        figure.add_trace(go.Bar(x=part["period_start"], y=part["validations"], name=name, marker_color=colour,
                                hovertemplate=hover))
    figure.update_layout(barmode="stack", showlegend=len(figure.data) > 1,
                         legend={"traceorder": "normal"})
    return mark_period_in_progress(figure, trends, granularity, tz)


def _metric_chart(trends: pd.DataFrame, measure: Measure, granularity: str, tz: str,
                  rolling: int | None) -> go.Figure:
    title = f"{measure.each.label} per {granularity}"
    if _is_empty(trends):
        return empty_figure(title)
    figure = base_figure(title, _x_title(granularity, tz), measure.each.axis)
    for colour, (name, part) in zip(cycle(PALETTE), _series(trends)):
        figure.add_traces(_metric_traces(part, name, colour, measure, granularity, rolling))
    figure.update_layout(showlegend=trends["series"].nunique() > 1)
    if rolling:
        figure.update_layout(margin_t=70, title_subtitle_text=(
            f"Lines: {rolling}-{granularity} rolling mean; dots: each {granularity}"))
    return mark_period_in_progress(figure, trends, granularity, tz)


def mark_period_in_progress(figure: go.Figure, trends: pd.DataFrame, granularity: str, tz: str,
                            today: date | None = None) -> go.Figure:
    """Label the last period "so far" when it has not ended yet: its count is not comparable."""
    last = pd.Timestamp(trends["period_start"].max())
    today = today or datetime.now(ZoneInfo(tz)).date()
    if (last + PERIOD_LENGTH[granularity]).date() > today:
        label = "today so far" if granularity == "day" else f"this {granularity} so far"
        # Inside the plot's top edge, ending at the last period: above it, a phone's title runs into it.
        figure.add_annotation(x=last, y=1, yref="paper", text=label, showarrow=False, xanchor="right",
                              yanchor="top", font={"size": 11, "color": "#6c757d"})
    return figure


def _metric_traces(part: pd.DataFrame, name: str, colour: str, measure: Measure, granularity: str,
                   rolling: int | None) -> list[go.Scatter]:
    # With a rolling mean, the line is the mean and the legend names it; each period is a faint dot.
    # The name enters the hover through %{fullData.name}: a label is data, never template syntax.
    metric = measure.each
    when = f"%{{x|{PERIOD_HOVER[granularity]}}}<br>%{{fullData.name}}<br>{metric.label}"
    each = go.Scatter(
        x=part["period_start"], y=part[metric.key], customdata=part[["validations"]],
        name=f"{name}, each {granularity}" if rolling else name, legendgroup=name, showlegend=not rolling,
        mode="markers" if rolling else "lines+markers", connectgaps=False, opacity=0.45 if rolling else 1,
        marker={"color": colour, "size": 5}, line={"color": colour},
        hovertemplate=f"{when} {metric.hover('y')}<br>{VALIDATIONS.hover('customdata[0]')} validations<extra></extra>",
    )
    if not rolling:
        return [each]
    mean = go.Scatter(
        x=part["period_start"], y=part[measure.rolling.key], name=name, legendgroup=name, mode="lines",
        line={"color": colour, "width": 3},
        hovertemplate=f"{when} over the last {rolling} {granularity}s {metric.hover('y')}<extra></extra>",
    )
    return [each, mean]


def _x_title(granularity: str, tz: str) -> str:
    return f"{PERIOD_AXIS[granularity]} ({tz})"


def _is_empty(trends: pd.DataFrame) -> bool:
    return trends.empty or trends["validations"].sum() == 0


def _series(trends: pd.DataFrame):
    # Sorted by label, so a series gets the same colour in all three charts.
    return trends.groupby("series", sort=True)

