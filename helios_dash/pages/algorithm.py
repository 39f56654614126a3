"""Algorithm (/algorithms/<id>): how one algorithm performs, and where it ranks in its domain over time."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, dcc, html

from ..access.current import current_principal
from ..domain.metrics import (CI_HIGH, CI_LOW, CONFIDENCE, MEAN_QUALITY, MEAN_SPEEDUP, QUALITY, RANK, SPEEDUP,
                              SUCCESS_RATE, TESTS, VALIDATIONS)
from ..figures.algorithm import algorithm_trend_chart, rank_history_chart
from ..filters import Filters
from ..reports.columns import SENSITIVE_COLUMNS
from ..services.algorithm import AlgorithmProfile, find_algorithm, profile_algorithm
from ..services.catalog import domain_options
from ..ui import controls, ids
from ..ui.frame import loading, page_frame
from ..ui.graphs import GRAPH_CONFIG
from ..ui.url import query_dict, read_view, view_search

PAGE = "algorithm"
dash.register_page(__name__, path_template="/algorithms/<algorithm_id>", name="Algorithm",
                   title="HELIOS Analytics: Algorithm")
controls.keep_dates_in_order(PAGE)

NONE = "—"
DETAILS = "algorithm-details"  # author and internal notes (editors and admins); belongs in ui/ids.py


def layout(algorithm_id: str | None = None, **query):
    """The algorithm's page for the view in the URL, or a notice if there is no such algorithm.

    The view carries the id as ``algorithms`` (so the Download exports this algorithm);
    the view's domain and type are kept for the next page but do not apply here.
    """
    about = find_algorithm(algorithm_id, current_principal()) if algorithm_id else None
    if about is None:
        return missing_algorithm(algorithm_id)
    filters, notices = read_view(query, {o["value"] for o in domain_options()})
    bar = controls.filter_bar(
        controls.date_control(PAGE, filters),
        controls.granularity_control(PAGE, filters),
        controls.tz_control(PAGE, filters),
    )
    graph = {"config": GRAPH_CONFIG}
    return page_frame(
        PAGE, about["name"], f"How does this {about['type']} algorithm of {about['domain']} perform, and where "
                             "does it rank in its domain?", notices,
        query_dict(filters.replace(algorithms=(about["id"],))), bar,
        html.P(about.get("description") or "", className="text-muted"),
        sensitive_details(about),
        loading(html.Div(id=ids.ALGORITHM_FIGURES)),
        dbc.Row([
            dbc.Col(loading(dcc.Graph(id=ids.ALGORITHM_TREND, **graph)), lg=6),
            dbc.Col(loading(dcc.Graph(id=ids.ALGORITHM_RANKS, **graph)), lg=6),
        ], className="g-3 mt-1"),
        loading(html.Div(id=ids.ALGORITHM_LATEST, className="mt-3")),
    )


def sensitive_details(about: dict) -> html.Dl | None:
    """Its author and internal notes, when the service left them in (editors and admins); else nothing at all."""
    shown = [(column.header, about[column.key]) for column in SENSITIVE_COLUMNS if column.key in about]
    if not shown:
        return None
    return html.Dl([part for label, value in shown
                    for part in (html.Dt(label, className="col-sm-2"), html.Dd(value or NONE, className="col-sm-10"))],
                   id=DETAILS, className="row small mb-2")


def missing_algorithm(algorithm_id: str | None) -> html.Div:
    """The notice for an id that names no algorithm: what happened and where to go."""
    return html.Div([
        html.H1(f"No algorithm {algorithm_id!r}" if algorithm_id else "No algorithm chosen", className="h2"),
        dbc.Alert(["There is no algorithm with this id: it may have been renamed or removed. ",
                   dcc.Link("Find it on the Leaderboard", href="/leaderboard"), "."], color="warning"),
    ], id=ids.ALGORITHM_MISSING)


@callback(
    Output({"type": ids.VIEW_QUERY, "page": PAGE}, "data"),
    Input(ids.control(PAGE, ids.DATES), "start_date"),
    Input(ids.control(PAGE, ids.DATES), "end_date"),
    Input(ids.control(PAGE, ids.GRANULARITY), "value"),
    Input(ids.control(PAGE, ids.TZ), "value"),
    State({"type": ids.VIEW_STATE, "page": PAGE}, "data"),
    prevent_initial_call=True,
)
def update_algorithm_query(start, end, granularity, tz, view):
    """The URL the controls ask for; the algorithm and the other pages' filters stay as the view had them."""
    base = Filters.from_query(view or {})[0]
    return view_search(controls.filters_from_controls(base, start=start, end=end, granularity=granularity, tz=tz))


@callback(
    Output(ids.ALGORITHM_FIGURES, "children"),
    Output(ids.ALGORITHM_TREND, "figure"),
    Output(ids.ALGORITHM_RANKS, "figure"),
    Output(ids.ALGORITHM_LATEST, "children"),
    Input({"type": ids.VIEW_STATE, "page": PAGE}, "data"),
    Input(ids.DATA_VERSION, "data"),
)
def update_algorithm(view, _version):
    """Recompute the algorithm's page for the view in the URL, and again whenever the data changes."""
    filters, _ = Filters.from_query(view or {})
    profile = profile_algorithm(filters.algorithms[0], filters, current_principal()) if filters.algorithms else None
    if profile is None:  # the algorithm vanished since the page was drawn
        return missing_algorithm(filters.algorithms[0] if filters.algorithms else None), {}, {}, None
    about, zone = profile.about, {"granularity": filters.granularity, "tz": filters.tz}
    return (
        figure_cards(profile),
        algorithm_trend_chart(profile.history, about["name"], about["domain"], **zone),
        rank_history_chart(profile.history, about["domain"], **zone),
        latest_table(profile.latest, filters.tz),
    )


def figure_cards(profile: AlgorithmProfile) -> html.Div:
    """Its key figures in the period: quality with interval, rank range in the domain, speedup, success, counts."""
    row, domain = profile.standing, profile.about["domain"]
    if row is None:
        return dbc.Alert(f"No validations of {profile.about['name']} in this period.", color="info")
    cards = [
        (MEAN_QUALITY.label, MEAN_QUALITY.show(row["mean_quality"]), interval_note(row)),
        (f"{RANK.label} in {domain}", rank_text(row), f"of {profile.peers} algorithms; possible range in brackets"),
        (MEAN_SPEEDUP.label, MEAN_SPEEDUP.show(row["mean_speedup"]), "against the domain's baseline"),
        (SUCCESS_RATE.label, SUCCESS_RATE.show(row["success_rate"]), ""),
        (VALIDATIONS.label, VALIDATIONS.show(row["validations"]), f"{TESTS.show(row['tests'])} tests"),
    ]
    return dbc.Row([dbc.Col(dbc.Card(dbc.CardBody([
        html.Div(label, className="small text-muted"),
        html.Div(value, className="fs-3 fw-semibold", **{"data-figure": str(number)}),
        html.Div(note, className="small text-muted"),
    ])), xs=6, lg=True, className="mb-2") for number, (label, value, note) in enumerate(cards)])


def interval_note(row: dict) -> str:
    """``95% interval 89.4–91.1``, or why there is none."""
    if row.get("ci_low") is None:
        return "one validation: no interval"
    return f"95% interval {CI_LOW.show(row['ci_low'])}–{CI_HIGH.show(row['ci_high'])}"


def rank_text(row: dict) -> str:
    """``4 (2-6)`` as the Leaderboard writes it; a certain rank alone."""
    best, worst = int(row["rank_best"]), int(row["rank_worst"])
    return f"{int(row['rank'])}" if best == worst else f"{int(row['rank'])} ({best}-{worst})"


LATEST_MEASURES = (QUALITY, CONFIDENCE, SPEEDUP, TESTS)  # of each validation, between its time and its validator
LATEST_HEADERS = ["When", *(m.label for m in LATEST_MEASURES), "Validator", "Hypothesis"]


def latest_table(latest: pd.DataFrame, tz: str) -> html.Div:
    """Its most recent validations in the period, newest first, times in the viewer's zone."""
    title = html.H5("Latest validations")
    if latest.empty:
        return html.Div([title, dbc.Alert("No validations in this period.", color="info")])
    when = pd.to_datetime(latest["created_at"], utc=True).dt.tz_convert(tz)
    rows = [html.Tr([
        html.Td(stamp.strftime("%Y-%m-%d %H:%M")), *(html.Td(m.show(getattr(r, m.key))) for m in LATEST_MEASURES),
        html.Td(r.validator or NONE), html.Td(r.hypothesis_id or NONE),
    ]) for stamp, r in zip(when, latest.itertuples())]
    header = html.Thead(html.Tr([html.Th(h) for h in LATEST_HEADERS]))
    return html.Div([title, dbc.Table([header, html.Tbody(rows)], size="sm", striped=True, responsive=True),
                     html.P(f"The {len(latest)} most recent in the period; times in {tz}.",
                            className="small text-muted")])
