"""Domains (/domains): how the research domains compare, and a way to focus on one."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import ALL, Input, Output, State, callback, ctx, dcc, html
from dash.exceptions import PreventUpdate

from ..domain.metrics import MAX_SPEEDUP, MEAN_QUALITY, MEAN_SPEEDUP, MIN_QUALITY, SUCCESS_RATE, VALIDATIONS
from ..figures.common import NO_DATA
from ..figures.domains import domain_quality_chart
from ..filters import Filters
from ..services.catalog import domain_options
from ..services.domains import compare_domains
from ..ui import controls, ids
from ..ui.frame import loading, page_frame
from ..ui.graphs import GRAPH_CONFIG
from ..ui.url import query_dict, read_view, view_search

PAGE = "domains"
dash.register_page(__name__, path="/domains", name="Domains", title="HELIOS Analytics: Domains")
controls.keep_dates_in_order(PAGE)

STATS = [  # field, label, how the value is shown
    (VALIDATIONS.key, VALIDATIONS.label, VALIDATIONS.show),
    ("algorithms", "Algorithms", "{:,}".format),  # how many algorithms: a count, not a measure of them
    *((m.key, m.label, m.show) for m in (MEAN_QUALITY, MIN_QUALITY, MEAN_SPEEDUP, MAX_SPEEDUP, SUCCESS_RATE)),
]


def layout(**query):
    """Controls and view state from the URL; the content is filled by ``update_domains``."""
    options = domain_options()
    filters, notices = read_view(query, {o["value"] for o in options})
    bar = controls.filter_bar(
        controls.domain_control(PAGE, filters, options),
        controls.type_control(PAGE, filters),
        controls.date_control(PAGE, filters),
        controls.tz_control(PAGE, filters),
    )
    hint = "Click a bar, or “Show only this domain” on a card, to narrow every page to that domain."
    return page_frame(
        PAGE, "Domains", "Which research domains do well, and which struggle?", notices,
        query_dict(filters), bar,
        loading(dcc.Graph(id=ids.DOMAINS_CHART, config=GRAPH_CONFIG)),
        html.P(hint, className="small text-muted mt-1"),
        loading(html.Div(id=ids.DOMAINS_CARDS)),
    )


@callback(
    Output({"type": ids.VIEW_QUERY, "page": PAGE}, "data"),
    Input(ids.control(PAGE, ids.DOMAIN), "value"),
    Input(ids.control(PAGE, ids.TYPE), "value"),
    Input(ids.control(PAGE, ids.DATES), "start_date"),
    Input(ids.control(PAGE, ids.DATES), "end_date"),
    Input(ids.control(PAGE, ids.TZ), "value"),
    State({"type": ids.VIEW_STATE, "page": PAGE}, "data"),
    prevent_initial_call=True,
)
def update_domains_query(domains, types, start, end, tz, view):
    """The URL the controls ask for; what this page has no control for stays as the URL had it."""
    return view_search(controls.filters_from_controls(
        Filters.from_query(view or {})[0], domains=domains, types=types, start=start, end=end, tz=tz))


@callback(
    Output(ids.DOMAINS_CHART, "figure"),
    Output(ids.DOMAINS_CARDS, "children"),
    Input({"type": ids.VIEW_STATE, "page": PAGE}, "data"),
    Input(ids.DATA_VERSION, "data"),
)
def update_domains(view, _version):
    """Recompute the page for the view in the URL, and again whenever the data changes."""
    filters, _ = Filters.from_query(view or {})
    stats = compare_domains(filters)
    return domain_quality_chart(stats), domain_cards(stats)


@callback(
    Output(ids.control(PAGE, ids.DOMAIN), "value"),
    Input(ids.DOMAINS_CHART, "clickData"),
    Input({"type": ids.DOMAINS_FOCUS, "domain": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def update_domains_focus(_click, _focus_clicks):
    """A click on a domain's bar or on its card's button narrows the domain filter to it.

    Setting the control (not the URL) lets ``update_domains_query`` write the URL as for any other change.
    """
    trigger = ctx.triggered[0] if ctx.triggered else {}
    if not trigger.get("value"):  # a button drawn but not clicked, or a click that was cleared
        raise PreventUpdate
    if isinstance(ctx.triggered_id, dict):
        return [ctx.triggered_id["domain"]]
    return [trigger["value"]["points"][0]["customdata"][0]]


def domain_cards(stats: pd.DataFrame) -> dbc.Row | dbc.Alert:
    """One card per domain with its statistics and a button that focuses the filters on it."""
    if stats.empty:
        return dbc.Alert(NO_DATA, color="info")
    return dbc.Row([dbc.Col(domain_card(row), xs=12, md=6, lg=4, xl=3, className="mb-3")
                    for row in stats.itertuples()])


def domain_card(row) -> html.Div:
    """A domain's card: its name, its statistics in two columns, the focus button."""
    cells = [html.Div([
        html.Div(label, className="small text-muted"),
        html.Div(show(getattr(row, field)), className="fw-semibold", **{"data-stat": field}),
    ], className="col-6 mb-2") for field, label, show in STATS]
    focus = dbc.Button("Show only this domain", id={"type": ids.DOMAINS_FOCUS, "domain": row.domain_id},
                       size="sm", color="primary", outline=True)
    card = dbc.Card([
        dbc.CardHeader(html.H5(row.domain, className="mb-0")),
        dbc.CardBody(html.Div(cells, className="row")),
        dbc.CardFooter(focus, className="bg-body"),  # the tinted footer left the button at 4.2:1 contrast
    ], className="h-100")
    return html.Div(card, className="h-100", **{"data-domain": row.domain_id})
