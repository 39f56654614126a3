"""Overview charts."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from .common import base_figure, empty_figure
from .trends import mark_period_in_progress

TREND_TITLE = "Mean quality per day, last 90 days"


def quality_sparkline_chart(trend: pd.DataFrame, tz: str = "UTC") -> go.Figure:
    """Daily mean quality as a line, with the number of validations in the hover; today marked "so far"."""
    if trend.empty or trend["validations"].sum() == 0:
        return empty_figure(TREND_TITLE, height=260)
    figure = base_figure(TREND_TITLE, "Day", "Mean quality (0-100)", height=260)
    figure.add_trace(go.Scatter(
        x=trend["period_start"], y=trend["mean_quality"], mode="lines", name="Mean quality",
        customdata=trend[["validations"]], connectgaps=False,
        hovertemplate="%{x|%a %d %b %Y}<br>Mean quality %{y:.1f}<br>%{customdata[0]:,} validations<extra></extra>",
    ))
    figure.update_layout(showlegend=False, margin={"t": 40, "b": 40})
    return mark_period_in_progress(figure, trend, "day", tz)
