"""Trends (/trends): quality, speedup and volume over time, in the viewer's timezone."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from ..figures.trends import count_trend_chart, quality_trend_chart, speedup_trend_chart
from ..filters import DEFAULT_GRANULARITY, GRANULARITIES, Filters, text_problem
from ..services.catalog import domain_options
from ..services.trends import track_performance
from ..ui import controls, ids
from ..ui.frame import loading, page_frame
from ..ui.graphs import GRAPH_CONFIG
from ..ui.url import bounded_int, first, query_dict, read_view, view_search

PAGE = "trends"
dash.register_page(__name__, path="/trends", name="Trends", title="HELIOS Analytics: Trends")
controls.keep_dates_in_order(PAGE)

ROLLING_CHOICES = ("3", "4", "7", "12")
MAX_ROLLING = 60
SPLITS = {"none": "None", "domain": "Domain", "type": "Algorithm type"}
PERIOD_NOTES = {
    "day": "days run from midnight to midnight",
    "week": "weeks start on Monday at midnight",
    "month": "months are calendar months",
}


def layout(**query):
    """Controls and view state from the URL; the charts are filled by ``update_trends``."""
    options = domain_options()
    filters, notices = read_view(query, {o["value"] for o in options})
    rolling, split, option_notices = parse_trend_options(query)
    bar = controls.filter_bar(
        controls.domain_control(PAGE, filters, options),
        controls.type_control(PAGE, filters),
        controls.date_control(PAGE, filters),
        controls.granularity_control(PAGE, filters),
        controls.tz_control(PAGE, filters),
        split_control(split),
        rolling_control(rolling, filters.granularity),
    )
    return page_frame(
        PAGE, "Trends", "How do quality, speedup and the number of validations move over time?",
        notices + option_notices, query_dict(filters, {"split": split, "rolling": rolling}), bar,
        html.P(timezone_note(filters), id=ids.TRENDS_TZ_NOTE, className="small text-muted"),
        dbc.Row([
            dbc.Col(loading(_graph(ids.TRENDS_QUALITY)), xs=12, lg=6),
            dbc.Col(loading(_graph(ids.TRENDS_SPEEDUP)), xs=12, lg=6),
            dbc.Col(loading(_graph(ids.TRENDS_COUNT)), xs=12, className="mt-3"),
        ]),
    )


@callback(
    Output({"type": ids.VIEW_QUERY, "page": PAGE}, "data"),
    Input(ids.control(PAGE, ids.DOMAIN), "value"),
    Input(ids.control(PAGE, ids.TYPE), "value"),
    Input(ids.control(PAGE, ids.DATES), "start_date"),
    Input(ids.control(PAGE, ids.DATES), "end_date"),
    Input(ids.control(PAGE, ids.GRANULARITY), "value"),
    Input(ids.control(PAGE, ids.TZ), "value"),
    Input(ids.TRENDS_SPLIT, "value"),
    Input(ids.TRENDS_ROLLING, "value"),
    State({"type": ids.VIEW_STATE, "page": PAGE}, "data"),
    prevent_initial_call=True,
)
def update_trends_query(domains, types, start, end, granularity, tz, split, rolling, view):
    """The URL the controls ask for; "no split" and "no rolling mean" are defaults, left out."""
    filters = controls.filters_from_controls(Filters.from_query(view or {})[0], domains=domains, types=types,
                                             start=start, end=end, granularity=granularity, tz=tz)
    extras = {"split": None if split == "none" else split, "rolling": None if rolling == "off" else rolling}
    return view_search(filters, extras)


@callback(
    Output(ids.TRENDS_TZ_NOTE, "children"),
    Input({"type": ids.VIEW_STATE, "page": PAGE}, "data"),
    prevent_initial_call=True,
)
def update_trends_note(view):
    """The timezone and week start of the view, when a control changed them."""
    return timezone_note(Filters.from_query(view or {})[0])


@callback(
    Output(ids.TRENDS_QUALITY, "figure"),
    Output(ids.TRENDS_SPEEDUP, "figure"),
    Output(ids.TRENDS_COUNT, "figure"),
    Input({"type": ids.VIEW_STATE, "page": PAGE}, "data"),
    Input(ids.DATA_VERSION, "data"),
)
def update_trends(view, _version):
    """Recompute the three charts for the view in the URL, and again whenever the data changes."""
    filters, _ = Filters.from_query(view or {})
    rolling, split, _ = parse_trend_options(view or {})
    trends = track_performance(filters, rolling, split)
    period = {"granularity": filters.granularity, "tz": filters.tz}
    return (
        quality_trend_chart(trends, rolling=rolling, **period),
        speedup_trend_chart(trends, rolling=rolling, **period),
        count_trend_chart(trends, **period),
    )


def parse_trend_options(query: dict) -> tuple[int | None, str | None, list[str]]:
    """``rolling`` and ``split`` from a query (None when default); bad values dropped with a notice."""
    rolling, rolling_notices = _parse_rolling(first(query, "rolling"))
    split, split_notices = _parse_split(first(query, "split"))
    return rolling, split, rolling_notices + split_notices


def _parse_rolling(value) -> tuple[int | None, list[str]]:
    if value in (None, "", "off"):
        return None, []
    if text_problem(value):
        return None, [f"Ignored rolling: a value {text_problem(value)}."]
    rolling = bounded_int(value, 2, MAX_ROLLING)
    if rolling is None:
        return None, [f"Ignored rolling={value!r}: use a whole number of periods from 2 to {MAX_ROLLING}."]
    return rolling, []


def _parse_split(value) -> tuple[str | None, list[str]]:
    if value in (None, "", "none"):
        return None, []
    if text_problem(value):
        return None, [f"Ignored split: a value {text_problem(value)}."]
    if value in SPLITS:
        return value, []
    return None, [f"Ignored split={value!r}: use domain or type."]


def timezone_note(filters: Filters) -> str:
    """The visible reminder of how periods are cut: "Times in Europe/Paris; weeks start on Monday..."."""
    return f"Times in {filters.tz}; {PERIOD_NOTES[filters.granularity]}."


def split_control(split: str | None) -> dbc.Col:
    """Radio buttons: one line for everything, one per domain, or one per algorithm type."""
    radio = dbc.RadioItems(id=ids.TRENDS_SPLIT, value=split or "none", inline=True,
                           options=[{"label": label, "value": value} for value, label in SPLITS.items()])
    return controls.labelled("Split by", radio, {"xs": 12, "md": 4})


def rolling_control(rolling: int | None, granularity: str) -> dbc.Col:
    """A dropdown of rolling-mean windows, counted in periods of the current granularity."""
    dropdown = dcc.Dropdown(id=ids.TRENDS_ROLLING, options=rolling_options(rolling, granularity),
                            value=str(rolling) if rolling else "off", clearable=False, searchable=False)
    return controls.labelled("Rolling mean", dropdown, {"xs": 12, "md": 2})


def rolling_options(rolling: int | None, granularity: str) -> list[dict]:
    """The choices: off, the usual windows ("3 weeks", ...), and ``rolling`` when the URL asked for another."""
    choices = list(ROLLING_CHOICES) + ([str(rolling)] if rolling and str(rolling) not in ROLLING_CHOICES else [])
    return [{"label": "Off", "value": "off"}] + [
        {"label": f"{n} {granularity}s", "value": n} for n in sorted(choices, key=int)]


@callback(
    Output(ids.TRENDS_ROLLING, "options"),
    Input(ids.control(PAGE, ids.GRANULARITY), "value"),
    State(ids.TRENDS_ROLLING, "value"),
    prevent_initial_call=True,
)
def update_rolling_options(granularity, rolling):
    """Windows counted in the granularity just chosen: "7 days" at once after a switch to Day.

    The window stays the same number of periods (the URL keeps ``rolling``), so only the labels change.
    """
    window, _ = _parse_rolling(rolling)
    return rolling_options(window, granularity if granularity in GRANULARITIES else DEFAULT_GRANULARITY)


def _graph(graph_id: str) -> dcc.Graph:
    return dcc.Graph(id=graph_id, config=GRAPH_CONFIG)
