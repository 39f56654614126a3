"""A chart with its text alternatives: a summary sentence as its name, and its data as a table on demand."""
from __future__ import annotations

from dash import html
from dash.development.base_component import Component

TABLE_LABEL = "Show data as table"


def with_data_table(graph: Component) -> html.Div:
    """``graph`` (a dcc.Graph, or a dcc.Loading around one) followed by a "Show data as table" toggle.

    The browser fills both alternatives from the figure it drew (assets/a11y.js): the
    graph's ``aria-label`` becomes a sentence naming the chart, its kind, its series and
    its range, and the table (built when opened, rebuilt when the figure changes) lists
    every point, one row per x value and one column per series. Done in the browser, the
    callbacks that compute the figures stay as they are and the table always matches the
    chart on screen.
    """
    toggle = html.Details([
        html.Summary(TABLE_LABEL, className="small text-muted"),
        html.Div(className="helios-chart-table table-responsive"),
    ], className="helios-chart-data mb-2")
    return html.Div([graph, toggle], className="helios-chart")
