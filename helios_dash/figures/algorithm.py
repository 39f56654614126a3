"""One algorithm's charts: its quality per period against its domain's, and its rank in the domain over time."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ..domain.metrics import MEAN_QUALITY, RANK, VALIDATIONS
from .common import PALETTE, base_figure, empty_figure
from .trends import PERIOD_AXIS, PERIOD_HOVER, mark_period_in_progress

NO_PERIODS = "No validations of this algorithm in this period."


def algorithm_trend_chart(history: pd.DataFrame, name: str, domain: str, granularity: str = "week",
                          tz: str = "UTC") -> go.Figure:
    """Mean quality per period with its 95% interval, and the domain's mean quality as a dashed line."""
    title = f"{MEAN_QUALITY.label} per {granularity}"
    if history.empty:
        return empty_figure(title, NO_PERIODS)
    figure = base_figure(title, f"{PERIOD_AXIS[granularity]} ({tz})", MEAN_QUALITY.axis)
    when = f"%{{x|{PERIOD_HOVER[granularity]}}}"
    low, high = _numbers(history["ci_low"]), _numbers(history["ci_high"])
    mean = _numbers(history["mean_quality"])
    figure.add_trace(go.Scatter(
        x=history["period_start"], y=mean, name=name, mode="lines+markers", line={"color": PALETTE[0]},
        error_y={"type": "data", "symmetric": False, "array": (high - mean).fillna(0),
                 "arrayminus": (mean - low).fillna(0), "thickness": 1, "width": 3},
        customdata=history[["validations"]].assign(low=low, high=high),
        hovertemplate=(f"{when}<br>%{{fullData.name}}: {MEAN_QUALITY.hover('y')} (95% interval "
                       f"{MEAN_QUALITY.hover('customdata[1]')}–{MEAN_QUALITY.hover('customdata[2]')})"
                       f"<br>{VALIDATIONS.hover('customdata[0]')} validations<extra></extra>")))
    figure.add_trace(go.Scatter(
        x=history["period_start"], y=_numbers(history["domain_mean_quality"]), name=f"{domain} (all algorithms)",
        mode="lines", line={"color": PALETTE[8], "dash": "dash"},
        hovertemplate=f"{when}<br>%{{fullData.name}}: {MEAN_QUALITY.hover('y')}<extra></extra>"))
    return mark_period_in_progress(figure, history, granularity, tz)


def rank_history_chart(history: pd.DataFrame, domain: str, granularity: str = "week", tz: str = "UTC") -> go.Figure:
    """Rank in the domain per period (1 at the top), a bar from the best to the worst possible rank."""
    title = f"Rank in {domain} per {granularity}"
    if history.empty:
        return empty_figure(title, NO_PERIODS)
    figure = base_figure(title, f"{PERIOD_AXIS[granularity]} ({tz})", f"{RANK.label} (1 = best)")
    ranks, best, worst = (_numbers(history[c]) for c in ("rank", "rank_best", "rank_worst"))
    figure.add_trace(go.Scatter(
        x=history["period_start"], y=ranks, name=RANK.label, mode="lines+markers", line={"color": PALETTE[4]},
        error_y={"type": "data", "symmetric": False, "array": worst - ranks, "arrayminus": ranks - best,
                 "thickness": 1, "width": 3},
        customdata=history[["rank_best", "rank_worst", "peers"]],
        hovertemplate=(f"%{{x|{PERIOD_HOVER[granularity]}}}<br>{RANK.label} %{{y}} (possible %{{customdata[0]}}"
                       "–%{customdata[1]}) of %{customdata[2]}<extra></extra>")))
    peers = int(history["peers"].max())
    figure.update_yaxes(autorange="reversed", rangemode="tozero", dtick=max(1, round(peers / 8)))
    figure.update_layout(showlegend=False)
    return mark_period_in_progress(figure, history, granularity, tz)


def _numbers(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce").astype("float64")
