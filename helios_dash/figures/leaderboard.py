"""Leaderboard chart: the top of the board with each mean quality's 95% interval drawn."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from .common import PALETTE, base_figure, empty_figure

TOP = 25
ROW_HEIGHT = 24  # pixels per algorithm, so 25 names stay readable
SERIES = [  # tied?, legend label, colour
    (False, "Clear of the one above", PALETTE[0]),
    (True, "≈ tied: interval overlaps the one above", PALETTE[3]),
]
HOVER = ("%{y} (%{customdata[0]})<br>Mean quality %{x:.1f}, 95% interval %{customdata[1]}"
         "<br>%{customdata[2]:,} validations<extra>%{fullData.name}</extra>")


def leaderboard_chart(board: pd.DataFrame, top: int = TOP) -> go.Figure:
    """Mean quality as a dot with its 95% interval as error bars, for the first ``top`` ranks."""
    title = f"Mean quality with 95% interval, top {top} by rank"
    if board.empty:
        return empty_figure(title)
    shown = board.sort_values("rank").head(top)
    shown = shown.assign(label="#" + shown["rank"].astype(str) + " " + shown["name"])
    figure = base_figure(title, "Mean quality (score 0-100)", "Algorithm, by rank",
                         height=120 + ROW_HEIGHT * len(shown))
    for tied, label, colour in SERIES:
        part = shown[shown["tied"] == tied]
        if not part.empty:
            figure.add_trace(_interval_dots(part, label, colour))
    figure.update_yaxes(categoryorder="array", categoryarray=list(shown["label"]), autorange="reversed",
                        automargin=True)
    figure.update_layout(legend={"orientation": "h", "yref": "paper", "y": 1.0, "yanchor": "bottom", "x": 1, "xanchor": "right"})
    return figure


def _interval_dots(part: pd.DataFrame, label: str, colour: str) -> go.Scatter:
    interval = [f"{low:.1f}-{high:.1f}" if pd.notna(low) else "n/a (one validation)"
                for low, high in zip(part["ci_low"], part["ci_high"])]
    return go.Scatter(
        x=part["mean_quality"], y=part["label"], mode="markers", name=label,
        marker={"color": colour, "size": 9},
        error_x={"type": "data", "symmetric": False, "array": part["ci_high"] - part["mean_quality"],
                 "arrayminus": part["mean_quality"] - part["ci_low"], "color": colour, "thickness": 1.5},
        customdata=list(zip(part["domain"], interval, part["validations"])),
        hovertemplate=HOVER,
    )
