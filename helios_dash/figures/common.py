"""What every chart shares: the look, and the empty state."""
from __future__ import annotations

import plotly.graph_objects as go

from ..domain.metrics import MEAN_QUALITY

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
PALETTE = ["#0d6efd", "#d63384", "#198754", "#fd7e14", "#6f42c1", "#20c997", "#dc3545", "#0dcaf0",
           "#6c757d", "#ffc107"]
NO_DATA = "No validations match these filters."
INTERVAL_TITLE = f"{MEAN_QUALITY.label} with 95% interval"  # the charts of means with their intervals
# Toolbar buttons that upload a chart's data to Plotly's cloud: plotly.js 4's name, then 2.x's.
CLOUD_BUTTONS = ("sendChartToCloud", "sendDataToCloud", "editInChartStudio")
# The mode bar takes the top 26-30 px at the right; on a phone it spans the width. The title
# starts below that row, so the two never overlap at any width, and the plot starts below both.
TITLE_TOP, MARGIN_TOP = 32, 84
LEGEND_ROOM = 84  # below the plot: tick labels, the x-axis title, then a legend row at the bottom


def base_figure(title: str, x_title: str, y_title: str, height: int = 360) -> go.Figure:
    """An empty figure in the dashboard's look, with its title and axis labels."""
    figure = go.Figure()
    figure.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left", "yref": "container", "y": 1, "yanchor": "top",
               "pad": {"t": TITLE_TOP}, "automargin": True},  # pushes a margin a figure set too small
        template="plotly_white", colorway=PALETTE, font={"family": FONT, "size": 12},
        height=height, margin={"l": 60, "r": 20, "t": MARGIN_TOP, "b": LEGEND_ROOM},
        # Below the x-axis title, measured from the container so it never overlaps on short plots.
        legend={"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0, "xanchor": "left"},
        hovermode="closest",
        modebar={"remove": CLOUD_BUTTONS},  # research data stays here, even where a Graph forgot its config
    )
    # automargin: long tick labels push the margin instead of clipping the axis titles
    figure.update_xaxes(title_text=x_title, automargin=True)
    figure.update_yaxes(title_text=y_title, automargin=True)
    return figure


def empty_figure(title: str, message: str = NO_DATA, height: int = 360) -> go.Figure:
    """The empty state: a titled figure that says why there is nothing to draw."""
    figure = base_figure(title, "", "", height)
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    figure.add_annotation(text=message, showarrow=False, font={"size": 15, "color": "#6c757d"},
                          xref="paper", yref="paper", x=0.5, y=0.5)
    return figure
