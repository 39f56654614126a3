"""Overview charts."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ..domain.metrics import MEAN_QUALITY, VALIDATIONS
from .common import base_figure, empty_figure
from .trends import mark_period_in_progress

TREND_TITLE = f"{MEAN_QUALITY.label} per day, last 90 days"


def quality_sparkline_chart(trend: pd.DataFrame, tz: str = "UTC") -> go.Figure:
    """Daily mean quality as a line, with the number of validations in the hover; today marked "so far"."""
    if trend.empty or trend["validations"].sum() == 0:
        return empty_figure(TREND_TITLE, height=260)
    figure = base_figure(TREND_TITLE, "Day", MEAN_QUALITY.axis, height=260)
    figure.add_trace(go.Scatter(
        x=trend["period_start"], y=trend["mean_quality"], mode="lines", name=MEAN_QUALITY.label,
        customdata=trend[["validations"]], connectgaps=False,
        hovertemplate=(f"%{{x|%a %d %b %Y}}<br>{MEAN_QUALITY.label} {MEAN_QUALITY.hover('y')}"
                       f"<br>{VALIDATIONS.hover('customdata[0]')} validations<extra></extra>"),
    ))
    figure.update_layout(showlegend=False, margin={"t": 40, "b": 40})
    return mark_period_in_progress(figure, trend, "day", tz)
