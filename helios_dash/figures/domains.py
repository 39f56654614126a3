"""Domains charts."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ..domain.metrics import MAX_SPEEDUP, MEAN_QUALITY, MEAN_SPEEDUP, MIN_QUALITY, SUCCESS_RATE, VALIDATIONS
from .common import base_figure, empty_figure

QUALITY_TITLE = f"{MEAN_QUALITY.label} per domain"
HOVER_COLUMNS = ["domain_id", "algorithms", "validations", "mean_quality", "min_quality", "mean_speedup",
                 "max_speedup", "success_rate"]
HOVER = (
    f"<b>%{{y}}</b><br>{MEAN_QUALITY.label} {MEAN_QUALITY.hover('customdata[3]')}"
    f" (lowest {MIN_QUALITY.hover('customdata[4]')})"
    f"<br>{MEAN_SPEEDUP.label} {MEAN_SPEEDUP.hover('customdata[5]')}"
    f" (best {MAX_SPEEDUP.hover('customdata[6]')})"
    f"<br>{SUCCESS_RATE.label} {SUCCESS_RATE.hover('customdata[7]')}"
    f"<br>{VALIDATIONS.hover('customdata[2]')} validations of %{{customdata[1]:,}} algorithms"
    "<br><i>Click to show only this domain</i><extra></extra>"
)


def domain_quality_chart(stats: pd.DataFrame) -> go.Figure:
    """Horizontal bars of mean quality per domain, a marker at its minimum, every statistic in the hover.

    Each point carries the domain id first in its customdata, so a click names the domain.
    """
    if stats.empty:
        return empty_figure(QUALITY_TITLE)
    ordered = stats.iloc[::-1]  # plotly draws the first category at the bottom; the best goes on top
    figure = base_figure(QUALITY_TITLE, MEAN_QUALITY.axis, "Domain", height=max(260, 110 + 34 * len(stats)))
    custom = ordered[HOVER_COLUMNS].to_numpy(dtype=object)
    figure.add_trace(go.Bar(
        x=ordered["mean_quality"], y=ordered["domain"], orientation="h", name=MEAN_QUALITY.label,
        customdata=custom, hovertemplate=HOVER,
    ))
    figure.add_trace(go.Scatter(
        x=ordered["min_quality"], y=ordered["domain"], mode="markers", name=MIN_QUALITY.label,
        marker={"symbol": "diamond", "size": 10, "color": "#212529"}, customdata=custom, hovertemplate=HOVER,
    ))
    figure.update_xaxes(range=[0, 100])
    figure.update_yaxes(automargin=True)
    return figure
