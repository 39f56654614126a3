"""Comparison charts: each chosen algorithm keeps one colour, its position in the choice."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ..domain.metrics import MEAN_QUALITY, VALIDATIONS
from .common import INTERVAL_TITLE, PALETTE, base_figure, empty_figure

QUALITY_TITLE = INTERVAL_TITLE
NO_RUNS = "None of these algorithms has validations in this date range."


def colour(position: int) -> str:
    """The colour of the algorithm chosen at ``position`` (0-based), the same in every chart and table."""
    return PALETTE[position % len(PALETTE)]


def compare_quality_chart(metrics: pd.DataFrame) -> go.Figure:
    """One dot per algorithm at its mean quality, the 95% interval as error bars, in the chosen order."""
    if metrics["mean_quality"].isna().all():
        return empty_figure(QUALITY_TITLE, NO_RUNS)
    figure = base_figure(QUALITY_TITLE, MEAN_QUALITY.axis, "Algorithm",
                         height=140 + 34 * len(metrics))
    for position, row in enumerate(metrics.itertuples()):
        figure.add_trace(go.Scatter(
            x=[row.mean_quality], y=[row.name], mode="markers", name=row.name,
            marker={"color": colour(position), "size": 11},
            error_x={"type": "data", "symmetric": False, "array": [row.ci_high - row.mean_quality],
                     "arrayminus": [row.mean_quality - row.ci_low], "color": colour(position)},
            customdata=[[_interval(row.ci_low, row.ci_high), row.validations]],
            hovertemplate=(f"%{{y}}<br>{MEAN_QUALITY.label} {MEAN_QUALITY.hover('x')}, 95% interval %{{customdata[0]}}"
                           f"<br>{VALIDATIONS.hover('customdata[1]')} validations<extra></extra>"),
        ))
    figure.update_yaxes(categoryorder="array", categoryarray=list(metrics["name"]), autorange="reversed",
                        automargin=True)
    figure.update_layout(showlegend=False)
    return figure


def compare_trends_chart(trends: pd.DataFrame, granularity: str = "week", tz: str = "UTC") -> go.Figure:
    """Mean quality per period, one line per algorithm, overlaid."""
    title = f"{MEAN_QUALITY.label} per {granularity}"
    if trends["validations"].sum() == 0:
        return empty_figure(title, NO_RUNS)
    figure = base_figure(title, f"{granularity.capitalize()} starting ({tz})", MEAN_QUALITY.axis)
    for position, algorithm in enumerate(trends["algorithm_id"].cat.categories):
        series = trends[trends["algorithm_id"] == algorithm]
        if series.empty:
            continue
        figure.add_trace(go.Scatter(
            x=series["period_start"], y=series["mean_quality"], mode="lines+markers",
            name=series["name"].iloc[0], line={"color": colour(position)}, marker={"size": 5},
            customdata=series[["validations"]], connectgaps=False,
            hovertemplate=(f"%{{fullData.name}}: {MEAN_QUALITY.hover('y')} "
                           f"({VALIDATIONS.hover('customdata[0]')} validations)<extra></extra>"),
        ))
    # One hover box per period lists every algorithm: the comparison is read across lines.
    figure.update_layout(hovermode="x unified")
    figure.update_xaxes(hoverformat=f"{granularity.capitalize()} of %d %b %Y")
    return figure


def _interval(low: float, high: float) -> str:
    return f"{MEAN_QUALITY.show(low)}-{MEAN_QUALITY.show(high)}" if pd.notna(low) else "n/a (fewer than 2 validations)"
