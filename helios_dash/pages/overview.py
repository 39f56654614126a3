"""Overview (/): how this month compares with the last, the recent trend, the leaders."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, dcc, html

from ..figures.overview import quality_sparkline_chart
from ..filters import Filters
from ..services.catalog import domain_options
from ..services.overview import compare_months, recent_quality_trend, top_algorithms
from ..ui import controls, ids
from ..ui.frame import loading, page_frame
from ..ui.graphs import GRAPH_CONFIG
from ..ui.url import query_dict, read_view, view_search
from ..ui.links import algorithm_link

PAGE = "overview"
dash.register_page(__name__, path="/", name="Overview", title="HELIOS Analytics: Overview")

KPIS = [  # field, label, format of the value, format of the change, change scale
    ("total_validations", "Validations", "{:,.0f}", "{:+,.0f}", 1),
    ("mean_quality", "Mean quality", "{:.1f}", "{:+.1f}", 1),
    # A rate's change is a difference of percentages: percentage points, not a percent change.
    ("success_rate", "Success rate (quality > 70)", "{:.1%}", "{:+.1f} pts", 100),
    ("best_speedup", "Best speedup", "{:.2f}x", "{:+.2f}x", 1),
]


def layout(**query):
    """Controls and view state from the URL; the content is filled by ``update_overview``."""
    options = domain_options()
    filters, notices = read_view(query, {o["value"] for o in options})
    bar = controls.filter_bar(
        controls.domain_control(PAGE, filters, options),
        controls.type_control(PAGE, filters),
        controls.tz_control(PAGE, filters),
    )
    return page_frame(
        PAGE, "Overview", "How is research going this month, compared with last month?", notices,
        query_dict(filters), bar,
        loading(html.Div(id=ids.OVERVIEW_KPIS)),
        dbc.Row([
            dbc.Col(loading(dcc.Graph(id=ids.OVERVIEW_TREND, config=GRAPH_CONFIG)), lg=7),
            dbc.Col(loading(html.Div(id=ids.OVERVIEW_TOP)), lg=5),
        ], className="mt-3"),
    )


@callback(
    Output({"type": ids.VIEW_QUERY, "page": PAGE}, "data"),
    Input(ids.control(PAGE, ids.DOMAIN), "value"),
    Input(ids.control(PAGE, ids.TYPE), "value"),
    Input(ids.control(PAGE, ids.TZ), "value"),
    State({"type": ids.VIEW_STATE, "page": PAGE}, "data"),
    prevent_initial_call=True,
)
def update_overview_query(domains, types, tz, view):
    """The URL the controls ask for; what this page has no control for stays as the URL had it."""
    base = Filters.from_query(view or {})[0]
    return view_search(controls.filters_from_controls(base, domains=domains, types=types, tz=tz))


@callback(
    Output(ids.OVERVIEW_KPIS, "children"),
    Output(ids.OVERVIEW_TREND, "figure"),
    Output(ids.OVERVIEW_TOP, "children"),
    Input({"type": ids.VIEW_STATE, "page": PAGE}, "data"),
    Input(ids.DATA_VERSION, "data"),
)
def update_overview(view, _version):
    """Recompute the page for the view in the URL, and again whenever the data changes."""
    filters, _ = Filters.from_query(view or {})
    return (
        kpi_cards(compare_months(filters)),
        quality_sparkline_chart(recent_quality_trend(filters), filters.tz),
        leaders_table(top_algorithms(filters), filters),
    )


def kpi_cards(months: pd.DataFrame) -> dbc.Row:
    """One card per KPI: this month's value and its change against last month."""
    current, previous = months.loc["current"], months.loc["previous"]
    cards = []
    for field, label, value_format, change_format, scale in KPIS:
        value, before = current[field], previous[field]
        shown = value_format.format(value) if pd.notna(value) else "no data"
        change = (value - before) * scale if pd.notna(value) and pd.notna(before) else None
        text, colour = describe_change(change, change_format)
        note = f"{text} vs {previous['period']}" if change is not None else f"nothing to compare in {previous['period']}"
        cards.append(dbc.Col(dbc.Card(dbc.CardBody([
            html.Div(label, className="small text-muted"),
            html.Div(shown, className="fs-3 fw-semibold", **{"data-kpi": field}),
            html.Div(note, className=f"small {colour}"),
        ])), xs=6, lg=3, className="mb-2"))
    return dbc.Row([html.Div(f"This month so far ({current['period']})", className="small text-muted mb-1"), *cards])


def describe_change(change: float | None, change_format: str) -> tuple[str, str]:
    """The change as shown, and its colour; one that rounds to zero is neutral ("0.0", never a red "-0.0")."""
    if change is None:
        return "", "text-muted"
    text = change_format.format(change)
    if not any(ch in "123456789" for ch in text.split(" ")[0]):  # every shown digit is zero
        return change_format.format(0.0).replace("+", "", 1), "text-muted"
    return text, "text-success" if change > 0 else "text-danger"


def leaders_table(board: pd.DataFrame, filters: Filters | None = None) -> html.Div:
    """The top of the leaderboard as a compact table; each name leads to the algorithm's page (with the view)."""
    title = html.H5("Top of the leaderboard", className="mt-2")
    if board.empty:
        return html.Div([title, dbc.Alert("No validations match these filters.", color="info")])
    rows = [html.Tr([
        html.Td(int(r.rank)), html.Td(algorithm_link(r.algorithm_id, r.name, filters)), html.Td(r.domain),
        html.Td(f"{r.mean_quality:.1f}" + (f" ± {(r.ci_high - r.ci_low) / 2:.1f}" if pd.notna(r.ci_high) else "")),
        html.Td(f"{r.mean_speedup:.2f}x"),
    ]) for r in board.itertuples()]
    header = html.Thead(html.Tr([html.Th(h) for h in ["#", "Algorithm", "Domain", "Quality (95% CI)", "Speedup"]]))
    return html.Div([title, dbc.Table([header, html.Tbody(rows)], size="sm", striped=True, responsive=True),
                     dcc.Link("Full leaderboard", href="/leaderboard")])
