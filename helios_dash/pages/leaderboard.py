"""Leaderboard (/leaderboard): who leads, by how much, and where the ranks are statistical ties."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, dcc, html

from ..domain.metrics import (CI_HIGH, CI_LOW, MEAN_QUALITY, MEAN_SPEEDUP, RANK, RANK_CHANGE, TESTS, VALIDATIONS,
                              Metric)
from ..domain.types import TYPE_LABELS
from ..errors import BadRequest
from ..figures.leaderboard import leaderboard_chart
from ..filters import MAX_TEXT_LENGTH, Filters, zone_info
from ..services.catalog import domain_options
from ..services.leaderboard import format_sort, parse_sort, rank_algorithms, summarize_leaderboard
from ..ui import controls, ids
from ..ui.frame import loading, page_frame
from ..ui.graphs import GRAPH_CONFIG
from ..ui.links import ALGORITHM_PATH
from ..ui.url import SHARED_KEYS, first, query_dict, read_search, read_view, view_search

PAGE = "leaderboard"
dash.register_page(__name__, path="/leaderboard", name="Leaderboard", title="HELIOS Analytics: Leaderboard")
controls.keep_dates_in_order(PAGE)

RANK_LEGEND = ("Rank 3 (2-7): 3rd by mean quality, and given the 95% intervals anywhere from 2nd to 7th "
               "(best: 1 + the algorithms whose interval lies entirely above; worst: those whose interval does "
               "not lie entirely below). The shade changes where no interval crosses: every algorithm above "
               "that line is ahead of every one below.")
RANK_RANGE = ("params.data.rank_best == params.data.rank_worst ? '' + params.value : "
              "params.value + ' (' + params.data.rank_best + '-' + params.data.rank_worst + ')'")
TIER_BAND = {"backgroundColor": "#eef3fb"}  # every other tier (see services.leaderboard.rank_tiers)
INTERVAL = ("params.value == null ? 'n/a' : "
            f"{CI_HIGH.d3_formatter()} + ' – ' + {CI_HIGH.d3_formatter('params.data.ci_high')}")
HIGH_FIRST = {"sortingOrder": ["desc", "asc", None]}  # a first click on a measure shows the best first
NARROW = {"flex": 0, "minWidth": 60}  # fixed width: the flexible columns share the rest


def measure_column(metric: Metric) -> tuple[str, str, dict]:
    """A column of a registry metric: its key, its label, its number format; best first on a first click."""
    return metric.key, metric.label, {"valueFormatter": {"function": metric.d3_formatter()}, **HIGH_FIRST}


COLUMNS = [  # field, header, column options
    (RANK.key, f"{RANK.label} (possible)", {**NARROW, "width": 130, "valueFormatter": {"function": RANK_RANGE},
                                            "headerTooltip": RANK_LEGEND}),
    (RANK_CHANGE.key, "Change", {**NARROW, "width": 100, "valueFormatter": {"function": "params.data.change_label"},
                                 "headerTooltip": "Places gained (▲) or lost (▼) against the previous period",
                                 "cellClassRules": {"text-success": "params.value > 0",
                                                    "text-danger": "params.value < 0"}, **HIGH_FIRST}),
    ("name", "Algorithm", {"minWidth": 200, "flex": 2, "cellRenderer": "AlgorithmLink",  # to its page
                           "cellRendererParams": {"path": ALGORITHM_PATH, "sharedKeys": list(SHARED_KEYS)}}),
    ("domain", "Domain", {"minWidth": 120, "flex": 1}),
    ("type", "Type", {**NARROW, "width": 100,  # "Hybrid", as filters.type_label shows it; the value stays "hybrid"
                      "valueFormatter": {"function": f"({json.dumps(TYPE_LABELS)})[params.value] || params.value"}}),
    measure_column(MEAN_QUALITY),
    (CI_LOW.key, "95% interval", {"valueFormatter": {"function": INTERVAL}, "minWidth": 120, **HIGH_FIRST}),
    measure_column(MEAN_SPEEDUP), measure_column(TESTS), measure_column(VALIDATIONS),
]


def layout(**query):
    """Controls, range hint and grid from the URL; summary, chart and rows come from ``update_leaderboard``."""
    domains = domain_options()
    filters, notices = leaderboard_view(query, {o["value"] for o in domains})
    search, search_notices = read_search(query)
    notices += search_notices
    bar = controls.filter_bar(
        controls.domain_control(PAGE, filters, domains),
        controls.type_control(PAGE, filters),
        controls.date_control(PAGE, filters),
        controls.tz_control(PAGE, filters),
    )
    table = [dbc.Label("Find in the table", html_for=ids.LEADERBOARD_SEARCH, className="visually-hidden"),
             dbc.Input(id=ids.LEADERBOARD_SEARCH, type="search", value=search, debounce=True, className="mb-2",
                       maxLength=MAX_TEXT_LENGTH,
                       placeholder="Find in the table (press Enter)"),
             loading(leaderboard_grid(filters, search))]
    return page_frame(
        PAGE, "Leaderboard", "Which algorithms lead, and is their lead statistically clear?", notices,
        query_dict(filters, {"q": search}), bar, html.Div(range_hint(filters), id=ids.LEADERBOARD_RANGE_BOX),
        loading(html.P(id=ids.LEADERBOARD_SUMMARY, className="lead mb-1")),
        html.P(RANK_LEGEND, className="small text-muted"),
        loading(dcc.Graph(id=ids.LEADERBOARD_CHART, config=GRAPH_CONFIG, className="mb-3")),
        *table,
    )


def leaderboard_view(query: dict, known_domains: set[str]) -> tuple[Filters, list[str]]:
    """The view in the URL; unknown domains and a sort the leaderboard does not know are dropped with a notice."""
    filters, notices = read_view(query, known_domains)
    try:
        parse_sort(filters.sort)
    except BadRequest as error:
        notices.append(f"Ignored sort={filters.sort!r}. {error.message}")
        filters = filters.replace(sort=None)
    return filters, notices


def range_hint(filters: Filters) -> html.Div:
    """What rank change compares against, or how to get a rank change at all."""
    previous = filters.previous_period()
    if previous is None:
        return dbc.Alert([
            f"{RANK_CHANGE.label} needs a date range (a start and an end): it compares with the period of "
            "equal length just before. ",
            dbc.Button("Last 30 days", id=ids.LEADERBOARD_LAST_30, size="sm", color="primary", className="ms-1"),
        ], id=ids.LEADERBOARD_RANGE_HINT, color="info", className="py-2")
    return html.P(f"{RANK_CHANGE.label}: against {previous.start} to {previous.end}.",
                  id=ids.LEADERBOARD_RANGE_HINT, className="small text-muted")


def leaderboard_grid(filters: Filters, search: str) -> dag.AgGrid:
    """The sortable, searchable table, sorted as the URL says."""
    return dag.AgGrid(
        id=ids.LEADERBOARD_GRID, rowData=[], columnDefs=column_defs(parse_sort(filters.sort),
                                                                     filters.previous_period() is not None),
        defaultColDef={"sortable": True, "resizable": True, "minWidth": 90, "flex": 1},
        getRowId="params.data.algorithm_id",
        getRowStyle={"styleConditions": [{"condition": "params.data.tier % 2 == 0", "style": TIER_BAND}]},
        dashGridOptions=grid_options(search),
        style={"height": "640px"},
    )


def grid_options(search: str | None) -> dict:
    """The grid's options: the quick search, tooltips, the empty-state text."""
    return {"quickFilterText": search or "", "tooltipShowDelay": 300,
            "localeText": {"noRowsToShow": "No algorithms match these filters."}}


def column_defs(sort_keys: list[tuple[str, bool]], closed_range: bool) -> list[dict]:
    """The grid's columns, with the sort applied; rank change hidden when the range is open."""
    order = {column: (index, ascending) for index, (column, ascending) in enumerate(sort_keys)}
    defs = []
    for field, header, options in COLUMNS:
        column = {"field": field, "headerName": header, **options}
        if field in order:
            index, ascending = order[field]
            column |= {"sort": "asc" if ascending else "desc", "sortIndex": index}
        if field == "rank_change":  # explicit both ways: AG Grid keeps a hidden column hidden otherwise
            column["hide"] = not closed_range
        defs.append(column)
    return defs


@callback(
    Output({"type": ids.VIEW_QUERY, "page": PAGE}, "data"),
    Input(ids.control(PAGE, ids.DOMAIN), "value"),
    Input(ids.control(PAGE, ids.TYPE), "value"),
    Input(ids.control(PAGE, ids.DATES), "start_date"),
    Input(ids.control(PAGE, ids.DATES), "end_date"),
    Input(ids.control(PAGE, ids.TZ), "value"),
    Input(ids.LEADERBOARD_SEARCH, "value"),
    State({"type": ids.VIEW_STATE, "page": PAGE}, "data"),
    prevent_initial_call=True,
)
def update_leaderboard_query(domains, types, start, end, tz, search, view):
    """The URL the controls ask for; the sort stays as the grid last set it."""
    filters = controls.filters_from_controls(Filters.from_query(view or {})[0], domains=domains, types=types,
                                             start=start, end=end, tz=tz)
    return view_search(filters, {"q": search})


@callback(
    Output({"type": ids.VIEW_QUERY, "page": PAGE}, "data", allow_duplicate=True),
    Input(ids.LEADERBOARD_GRID, "columnState"),
    State({"type": ids.VIEW_STATE, "page": PAGE}, "data"),
    prevent_initial_call=True,
)
def update_leaderboard_sort(column_state, view):
    """The URL with the grid's sort; nothing when the sort did not change.

    The grid also reports its column state when it loads or is resized: only a
    new sort is a new view (anything else would push a duplicate history entry).
    """
    current, _ = Filters.from_query(view or {})
    sort = sort_from_state(column_state)
    if sort == current.sort:
        return dash.no_update
    return view_search(current.replace(sort=sort), {"q": first(view or {}, "q")})


def sort_from_state(column_state: list[dict] | None) -> str | None:
    """The ``sort`` parameter for the grid's column state (sorted columns in sort order)."""
    keyed = sorted((c for c in column_state or [] if c.get("sort")), key=lambda c: c.get("sortIndex") or 0)
    return format_sort([(c["colId"], c["sort"] == "asc") for c in keyed])


@callback(
    Output(ids.control(PAGE, ids.DATES), "start_date"),
    Output(ids.control(PAGE, ids.DATES), "end_date"),
    Input(ids.LEADERBOARD_LAST_30, "n_clicks"),
    State(ids.control(PAGE, ids.TZ), "value"),
    prevent_initial_call=True,
)
def update_leaderboard_dates(clicks, tz):
    """The last 30 days, today included, in the viewer's timezone; nothing unless the button was clicked."""
    # The button is drawn anew with the range hint after every change of an open-range view,
    # and Dash runs the callbacks of a newly drawn input despite prevent_initial_call. Without
    # this check a sort set the picker to the last 30 days; Dash then dropped the URL update as
    # a loop (view -> hint -> picker -> view), so the next search carried those dates (issue 8).
    if not clicks:
        return dash.no_update, dash.no_update
    today = datetime.now(zone_info(tz or "UTC")).date()
    return (today - timedelta(days=29)).isoformat(), today.isoformat()


@callback(
    Output(ids.LEADERBOARD_RANGE_BOX, "children"),
    Output(ids.LEADERBOARD_GRID, "columnDefs"),
    Output(ids.LEADERBOARD_GRID, "dashGridOptions"),
    Input({"type": ids.VIEW_STATE, "page": PAGE}, "data"),
    prevent_initial_call=True,
)
def update_leaderboard_frame(view):
    """What depends on the view but not on the data: range hint, columns and sort, quick search."""
    filters, _ = Filters.from_query(view or {})
    closed = filters.previous_period() is not None
    return range_hint(filters), column_defs(parse_sort(filters.sort), closed), grid_options(first(view or {}, "q"))


@callback(
    Output(ids.LEADERBOARD_SUMMARY, "children"),
    Output(ids.LEADERBOARD_CHART, "figure"),
    Output(ids.LEADERBOARD_GRID, "rowData"),
    Input({"type": ids.VIEW_STATE, "page": PAGE}, "data"),
    Input(ids.DATA_VERSION, "data"),
)
def update_leaderboard(view, _version):
    """Recompute the board for the view in the URL, and again whenever the data changes."""
    filters, _ = Filters.from_query(view or {})
    board = rank_algorithms(filters)
    rows = grid_rows(board, closed_range=filters.previous_period() is not None)
    return summarize_leaderboard(board), leaderboard_chart(board), rows


def grid_rows(board: pd.DataFrame, closed_range: bool) -> list[dict]:
    """The board as grid rows, missing values as null, with the rank change spelled out."""
    rows = board.assign(change_label=[change_label(c, closed_range) for c in board["rank_change"]])
    return rows.astype(object).where(rows.notna(), None).to_dict("records")


def change_label(change, closed_range: bool) -> str:
    """``▲ 2``, ``▼ 1``, ``=`` or ``new`` (absent from the previous period); blank for an open range."""
    if not closed_range:
        return ""
    if pd.isna(change):
        return "new"
    return f"▲ {change}" if change > 0 else f"▼ {-change}" if change < 0 else "="
