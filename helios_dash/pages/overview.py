"""Overview (/): how a period (this month so far, 7 or 30 days, custom) compares with the one before."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, dcc, html

from ..domain.metrics import KEY_FIGURES, MEAN_QUALITY, MEAN_SPEEDUP
from ..figures.overview import quality_sparkline_chart
from ..filters import Filters
from ..services.catalog import domain_options
from ..services.overview import (PERIODS, compare_months, rate_change, read_period, period_extras,
                                 recent_quality_trend, significant_changes, top_algorithms)
from ..ui import controls, ids
from ..ui.frame import loading, page_frame
from ..ui.graphs import GRAPH_CONFIG
from ..ui.links import algorithm_link
from ..ui.url import query_dict, read_view, view_search

PAGE = "overview"
PERIOD = "overview-period"  # the period control (radio buttons)
PERIOD_DATES = "overview-period-dates"  # the box holding the date range, shown for custom dates
SIGNIFICANCE_NOTE = ("A change is coloured only when significant at the 95% level: Welch's t-test for mean quality, "
                     "a two-proportion test for the success rate, an exact test of validations per hour "
                     "(a period in progress counts its elapsed hours); best speedup is never coloured.")
dash.register_page(__name__, path="/", name="Overview", title="HELIOS Analytics: Overview")



def layout(**query):
    """Controls and view state from the URL; the content is filled by ``update_overview``."""
    options = domain_options()
    filters, notices = read_view(query, {o["value"] for o in options})
    period, dated, period_notices = read_period(query, filters)
    shown = filters if period == "custom" else filters.replace(start=None, end=None)  # the URL's form of the view
    bar = controls.filter_bar(
        period_control(period),
        html.Div(controls.date_control(PAGE, dated), id=PERIOD_DATES, className="col",
                 style=None if period == "custom" else {"display": "none"}),
        controls.domain_control(PAGE, filters, options),
        controls.type_control(PAGE, filters),
        controls.tz_control(PAGE, filters),
    )
    return page_frame(
        PAGE, "Overview", "How is research going in this period, compared with the one before?",
        notices + period_notices, query_dict(shown, period_extras(period)), bar,
        loading(html.Div(id=ids.OVERVIEW_KPIS)),
        dbc.Row([
            dbc.Col(loading(dcc.Graph(id=ids.OVERVIEW_TREND, config=GRAPH_CONFIG)), lg=7),
            dbc.Col(loading(html.Div(id=ids.OVERVIEW_TOP)), lg=5),
        ], className="mt-3"),
    )


def period_control(period: str) -> dbc.Col:
    """This month so far, last 7 days, last 30 days or custom dates (``period`` in the URL)."""
    radio = dbc.RadioItems(id=PERIOD, options=[{"label": label, "value": key} for key, label in PERIODS.items()],
                           value=period, inline=True, className="small")
    return dbc.Col([dbc.Label("Period", html_for=PERIOD, className="small text-muted mb-1"), radio],
                   xs=12, xl=5)


@callback(
    Output(PERIOD_DATES, "style"),
    Input(PERIOD, "value"),
    prevent_initial_call=True,
)
def update_period_dates(period):
    """The date range is shown for custom dates only."""
    return None if period == "custom" else {"display": "none"}


@callback(
    Output({"type": ids.VIEW_QUERY, "page": PAGE}, "data"),
    Input(ids.control(PAGE, ids.DOMAIN), "value"),
    Input(ids.control(PAGE, ids.TYPE), "value"),
    Input(ids.control(PAGE, ids.TZ), "value"),
    Input(PERIOD, "value"),
    Input(ids.control(PAGE, ids.DATES), "start_date"),
    Input(ids.control(PAGE, ids.DATES), "end_date"),
    State({"type": ids.VIEW_STATE, "page": PAGE}, "data"),
    prevent_initial_call=True,
)
def update_overview_query(domains, types, tz, period, start, end, view):
    """The URL the controls ask for; what this page has no control for stays as the URL had it.

    Custom dates write ``start``/``end``; any other period writes ``period`` (none for
    this month so far, the default) and no dates.
    """
    base = Filters.from_query(view or {})[0]
    filters = controls.filters_from_controls(base, domains=domains, types=types, tz=tz)
    if period == "custom":
        return view_search(controls.filters_from_controls(filters, start=start, end=end))
    return view_search(filters.replace(start=None, end=None), period_extras(period))


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
    period, filters, _ = read_period(view or {}, filters)
    return (
        kpi_cards(compare_months(filters), period),
        quality_sparkline_chart(recent_quality_trend(filters), filters.tz),
        leaders_table(top_algorithms(filters), filters),
    )


def kpi_cards(months: pd.DataFrame, period: str = "month") -> dbc.Row:
    """One card per KPI: its value and change, coloured only if significant (``significant_changes``)."""
    current, previous = months.loc["current"], months.loc["previous"]
    significant = significant_changes(months)
    cards = []
    for field, metric in KEY_FIGURES:
        value, before = current[field], previous[field]
        shown = metric.show(value) if pd.notna(value) else "no data"
        # In the metric's unit of change: a rate's change is in percentage points, not a percent change.
        change = (value - before) * metric.number.change_scale if pd.notna(value) and pd.notna(before) else None
        # Validations are tested per hour elapsed: the colour follows that rate, not the raw count.
        direction = rate_change(months) if field == "total_validations" and "hours" in months else None
        text, colour = describe_change(change, metric.number.change, significant[field], direction)
        note = f"{text} vs {previous['period']}" if change is not None else f"nothing to compare in {previous['period']}"
        if field == "total_validations" and change is not None:
            note += _rate_note(months)
        cards.append(dbc.Col(dbc.Card(dbc.CardBody([
            html.Div(metric.label, className="small text-muted"),
            html.Div(shown, className="fs-3 fw-semibold", **{"data-kpi": field}),
            html.Div(note, className=f"small {colour}"),
        ])), xs=6, lg=3, className="mb-2"))
    return dbc.Row([html.Div(describe_sides(months, period), className="small text-muted mb-1",
                             **{"data-kpi-sides": period}),
                    *cards, html.Div(SIGNIFICANCE_NOTE, className="small text-muted")])


def describe_sides(months: pd.DataFrame, period: str = "month") -> str:
    """What each side holds, e.g. "Last 7 days (25 Nov-01 Dec 2026): 1,234 validations vs 1,180 in 18-24 Nov 2026"."""
    current, previous = months.loc["current"], months.loc["previous"]
    return (f"{PERIODS.get(period, PERIODS['month'])} ({current['period']}): {current['total_validations']:,.0f} "
            f"validations vs {previous['total_validations']:,.0f} in {previous['period']}")


def _rate_note(months: pd.DataFrame) -> str:
    """When the sides cover different lengths of time (a day in progress), the change per hour elapsed."""
    hours = months["hours"] if "hours" in months else None
    change = rate_change(months)
    if hours is None or change is None or abs(hours["current"] / hours["previous"] - 1) < 0.01:
        return ""
    return f" ({change:+.0%} per hour elapsed)"


def describe_change(change: float | None, change_format: str, significant: bool | None = True,
                    direction: float | None = None) -> tuple[str, str]:
    """The change as shown, and its colour: green or red (by the sign of ``direction``, else of the change)
    only when ``significant``.

    A change that rounds to zero is neutral ("0.0", never a red "-0.0").
    """
    if change is None:
        return "", "text-muted"
    text = change_format.format(change)
    if not any(ch in "123456789" for ch in text.split(" ")[0]):  # every shown digit is zero
        return change_format.format(0.0).replace("+", "", 1), "text-muted"
    if not significant:
        return text, "text-muted"
    return text, "text-success" if (change if direction is None else direction) > 0 else "text-danger"


def leaders_table(board: pd.DataFrame, filters: Filters | None = None) -> html.Div:
    """The top of the leaderboard as a compact table; each name leads to the algorithm's page (with the view)."""
    title = html.H5("Top of the leaderboard", className="mt-2")
    if board.empty:
        return html.Div([title, dbc.Alert("No validations match these filters.", color="info")])
    rows = [html.Tr([
        html.Td(int(r.rank)), html.Td(algorithm_link(r.algorithm_id, r.name, filters)), html.Td(r.domain),
        html.Td(MEAN_QUALITY.show(r.mean_quality)
                + (f" ± {MEAN_QUALITY.show((r.ci_high - r.ci_low) / 2)}" if pd.notna(r.ci_high) else "")),
        html.Td(MEAN_SPEEDUP.show(r.mean_speedup)),
    ]) for r in board.itertuples()]
    headers = ["#", "Algorithm", "Domain", f"{MEAN_QUALITY.label} (95% CI)", MEAN_SPEEDUP.label]
    header = html.Thead(html.Tr([html.Th(h) for h in headers]))
    return html.Div([title, dbc.Table([header, html.Tbody(rows)], size="sm", striped=True, responsive=True),
                     dcc.Link("Full leaderboard", href="/leaderboard")])
