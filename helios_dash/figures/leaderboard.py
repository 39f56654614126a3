"""Leaderboard chart: the top of the board with each mean quality's 95% interval and rank range."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ..domain.metrics import MEAN_QUALITY, RANK, VALIDATIONS
from ..services.leaderboard import add_rank_ranges
from .common import INTERVAL_TITLE, PALETTE, base_figure, empty_figure

TOP = 25
ROW_HEIGHT = 36  # pixels per algorithm: its name on a line of its own, then its interval
NAME = f"{MEAN_QUALITY.label}, 95% interval"
BREAK_NAME = "Tier break: no interval overlaps across the line"
BREAK_LINE = {"color": PALETTE[8], "width": 1, "dash": "dash"}
HOVER = ("%{y} (%{customdata[0]})<br>%{customdata[3]}"
         f"<br>{MEAN_QUALITY.label} {MEAN_QUALITY.hover('x')}, 95% interval %{{customdata[1]}}"
         f"<br>{VALIDATIONS.hover('customdata[2]')} validations<extra></extra>")


def leaderboard_chart(board: pd.DataFrame, top: int = TOP) -> go.Figure:
    """Mean quality as a dot with its 95% interval as error bars, for the first ``top`` ranks.

    A dashed line between two rows marks a break between tiers (see ``rank_tiers``):
    every interval above it lies entirely above every interval below. Within a
    tier the hover's rank range says how far each algorithm's place may move.
    """
    title = f"{INTERVAL_TITLE}, top {top}"
    if board.empty:
        return empty_figure(title)
    if "rank_best" not in board:
        board = add_rank_ranges(board)
    shown = board.sort_values("rank").head(top)
    shown = shown.assign(label="#" + shown["rank"].astype(str) + " " + shown["name"])
    figure = base_figure(title, MEAN_QUALITY.axis, "", height=170 + ROW_HEIGHT * len(shown))
    figure.add_trace(_interval_dots(shown))
    _draw_tier_breaks(figure, shown["tier"].tolist())
    _name_rows(figure, list(shown["label"]))
    figure.update_yaxes(categoryorder="array", categoryarray=list(shown["label"]), autorange="reversed",
                        showticklabels=False)
    figure.update_layout(margin_l=10)
    return figure


def _name_rows(figure: go.Figure, labels: list[str]) -> None:
    """Each name above its row, left-aligned across the plot, instead of tick labels beside it.

    Tick labels took three quarters of a phone's width; above the rows the data keeps the
    whole width at every screen size, and the hover still names the algorithm in full.
    """
    for label in labels:
        figure.add_annotation(text=label, xref="paper", x=0, xanchor="left", yref="y", y=label, yanchor="bottom",
                              yshift=3, showarrow=False, align="left", font={"size": 11})


def rank_range_text(rank: int, best: int, worst: int) -> str:
    """``Rank 3 (possible 2-7)``, as the table's ``3 (2-7)``; ``Rank 1 (no other possible)`` for one place."""
    if best == worst:
        return f"{RANK.label} {rank} (no other possible)"
    return f"{RANK.label} {rank} (possible {best}-{worst})"


def _interval_dots(shown: pd.DataFrame) -> go.Scatter:
    interval = [f"{MEAN_QUALITY.show(low)}-{MEAN_QUALITY.show(high)}" if pd.notna(low) else "n/a (one validation)"
                for low, high in zip(shown["ci_low"], shown["ci_high"])]
    ranks = [rank_range_text(*r) for r in zip(shown["rank"], shown["rank_best"], shown["rank_worst"])]
    colour = PALETTE[0]
    return go.Scatter(
        x=shown["mean_quality"], y=shown["label"], mode="markers", name=NAME,
        marker={"color": colour, "size": 9},
        error_x={"type": "data", "symmetric": False, "array": shown["ci_high"] - shown["mean_quality"],
                 "arrayminus": shown["mean_quality"] - shown["ci_low"], "color": colour, "thickness": 1.5},
        customdata=list(zip(shown["domain"], interval, shown["validations"], ranks)),
        hovertemplate=HOVER,
    )


def _draw_tier_breaks(figure: go.Figure, tiers: list[int]) -> None:
    """A dashed line between rows of different tiers; one legend entry for all of them."""
    breaks = [position for position in range(1, len(tiers)) if tiers[position] != tiers[position - 1]]
    for count, position in enumerate(breaks):
        figure.add_shape(type="line", xref="paper", x0=0, x1=1, yref="y", y0=position - 0.5, y1=position - 0.5,
                         line=BREAK_LINE, layer="below", name=BREAK_NAME, showlegend=count == 0)
