"""Compare (/compare): 2 to 8 chosen algorithms side by side, their differences and trends."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, callback, dcc, html

from ..domain.metrics import (MAX_SPEEDUP, MEAN_CONFIDENCE, MEAN_QUALITY, MEAN_SPEEDUP, SUCCESS_RATE, TESTS,
                              VALIDATIONS)
from ..domain.types import type_label
from ..errors import HeliosError
from ..figures.common import empty_figure
from ..figures.compare import QUALITY_TITLE, colour, compare_quality_chart, compare_trends_chart
from ..filters import Filters
from ..reports.sentences import SIGNIFICANCE_NOTE
from ..services.catalog import algorithm_options
from ..services.compare import compare_algorithms, compare_trends
from ..ui import controls, ids
from ..ui.frame import loading, page_frame
from ..ui.graphs import GRAPH_CONFIG
from ..ui.links import algorithm_link
from ..ui.url import listed, query_dict, view_search

PAGE = "compare"
dash.register_page(__name__, path="/compare", name="Compare", title="HELIOS Analytics: Compare")
controls.keep_dates_in_order(PAGE)

PROMPT = "Choose 2 to 8 algorithms above to see their metrics side by side."
NONE = "—"
SIDE_BY_SIDE = (SUCCESS_RATE, MEAN_SPEEDUP, MAX_SPEEDUP, MEAN_CONFIDENCE, VALIDATIONS, TESTS)  # below the quality
METRICS = [  # label, how to show a row of the comparison
    ("Domain", lambda r: r.domain),
    ("Type", lambda r: type_label(r.type)),
    (f"{MEAN_QUALITY.label} (95% interval)", lambda r: _quality(r.mean_quality, r.ci_low, r.ci_high)),
    *((m.label, lambda r, m=m: _number(getattr(r, m.key), m.show)) for m in SIDE_BY_SIDE),
]


def layout(**query):
    """Controls and view state from the URL; the content is filled by ``update_compare``."""
    options = algorithm_options()
    filters, notices = compare_view(query, {o["value"] for o in options})
    picker = dcc.Dropdown(id=ids.COMPARE_ALGORITHMS, options=options, value=list(filters.algorithms), multi=True,
                          placeholder="Choose 2 to 8 algorithms")
    bar = controls.filter_bar(
        dbc.Col([dbc.Label("Algorithms", html_for=ids.COMPARE_ALGORITHMS, className="small text-muted mb-1"),
                 picker], xs=12, md=5),
        controls.date_control(PAGE, filters),
        controls.granularity_control(PAGE, filters),
        controls.tz_control(PAGE, filters),
    )
    graph = {"config": GRAPH_CONFIG}
    return page_frame(
        PAGE, "Compare", "How do these algorithms differ, and is the difference real?", notices,
        query_dict(filters), bar,
        loading(html.Div(id=ids.COMPARE_MESSAGE)),
        dbc.Row([
            dbc.Col(loading(html.Div(id=ids.COMPARE_TABLE)), lg=7),
            dbc.Col(loading(dcc.Graph(id=ids.COMPARE_METRICS_CHART, **graph)), lg=5),
        ], className="g-3"),
        loading(html.Div(id=ids.COMPARE_DIFFERENCES, className="mt-3")),
        loading(dcc.Graph(id=ids.COMPARE_TRENDS, className="mt-3", **graph)),
    )


def compare_view(query: dict, known: set[str]) -> tuple[Filters, list[str]]:
    """The view in the URL, unknown algorithm ids dropped with a notice.

    Domain and type filters do not apply here (the algorithms are named), so the
    ones the navbar carries along are left out rather than hiding data unseen.
    """
    filters, notices = Filters.from_query(query)
    chosen = list(dict.fromkeys(filters.algorithms))
    unknown = [a for a in chosen if a not in known]
    if unknown:
        notices.append(f"Ignored unknown algorithm id(s): {listed(unknown)}.")
    kept = tuple(a for a in chosen if a in known)
    return filters.replace(algorithms=kept, domains=(), types=(), sort=None), notices


@callback(
    Output({"type": ids.VIEW_QUERY, "page": PAGE}, "data"),
    Input(ids.COMPARE_ALGORITHMS, "value"),
    Input(ids.control(PAGE, ids.DATES), "start_date"),
    Input(ids.control(PAGE, ids.DATES), "end_date"),
    Input(ids.control(PAGE, ids.GRANULARITY), "value"),
    Input(ids.control(PAGE, ids.TZ), "value"),
    prevent_initial_call=True,
)
def update_compare_query(algorithms, start, end, granularity, tz):
    """The URL the controls ask for."""
    return view_search(controls.filters_from_controls(algorithms=algorithms, start=start, end=end,
                                                      granularity=granularity, tz=tz))


@callback(
    Output(ids.COMPARE_MESSAGE, "children"),
    Output(ids.COMPARE_TABLE, "children"),
    Output(ids.COMPARE_DIFFERENCES, "children"),
    Output(ids.COMPARE_METRICS_CHART, "figure"),
    Output(ids.COMPARE_TRENDS, "figure"),
    Input({"type": ids.VIEW_STATE, "page": PAGE}, "data"),
    Input(ids.DATA_VERSION, "data"),
)
def update_compare(view, _version):
    """Recompute the comparison for the view in the URL, and again whenever the data changes."""
    filters, _ = Filters.from_query(view or {})
    try:
        comparison = compare_algorithms(filters)
        trends = compare_trends(filters)
    except HeliosError as error:  # too few or too many algorithms, or one vanished
        return nothing_to_compare(PROMPT if not filters.algorithms else error.message)
    return (
        None,
        metrics_table(comparison.metrics, filters),
        differences_table(comparison.differences, comparison.metrics, filters),
        compare_quality_chart(comparison.metrics),
        compare_trends_chart(trends, filters.granularity, filters.tz),
    )


def nothing_to_compare(message: str) -> tuple:
    """The outputs of ``update_compare`` when there is no valid choice: the message, empty charts."""
    waiting = "Nothing to compare yet."
    return (dbc.Alert(message, color="info", className="py-2"), None, None,
            empty_figure(QUALITY_TITLE, waiting), empty_figure(f"{MEAN_QUALITY.label} over time", waiting))


def metrics_table(metrics: pd.DataFrame, filters: Filters | None = None) -> html.Div:
    """Metrics as rows, one column per algorithm in the chosen order, headed by its linked name in its colour."""
    swatch = {"display": "inline-block", "width": "0.8em", "height": "0.8em", "borderRadius": "50%",
              "marginRight": "0.35em"}
    header = html.Thead(html.Tr([html.Th("Metric")] + [
        html.Th([html.Span(style={**swatch, "background": colour(i)}), algorithm_link(algorithm_id, name, filters)])
        for i, (algorithm_id, name) in enumerate(zip(metrics["algorithm_id"], metrics["name"]))]))
    rows = [html.Tr([html.Th(label, className="fw-normal text-muted")]
                    + [html.Td(show(row)) for row in metrics.itertuples()]) for label, show in METRICS]
    return html.Div([html.H5("Side by side"),
                     dbc.Table([header, html.Tbody(rows)], size="sm", bordered=True, responsive=True)])


def differences_table(differences: pd.DataFrame, metrics: pd.DataFrame, filters: Filters | None = None) -> html.Div:
    """Every pair: A minus B in quality (with its 95% interval and significance), speedup and success rate."""
    names = dict(zip(metrics["algorithm_id"], metrics["name"]))
    header = html.Thead(html.Tr([html.Th(h) for h in [
        "A − B", "Quality difference (95% interval)", "Significant?", "Speedup difference",
        "Success-rate difference"]]))
    rows = [html.Tr([
        html.Td([algorithm_link(d.algorithm_a, names[d.algorithm_a], filters), " − ",
                 algorithm_link(d.algorithm_b, names[d.algorithm_b], filters)]),
        html.Td(_quality(d.mean_quality_diff, d.quality_diff_ci_low, d.quality_diff_ci_high, signed=True)),
        html.Td(_significance(d)),
        html.Td(_number(d.mean_speedup_diff, MEAN_SPEEDUP.show_change)),
        html.Td(_number(d.success_rate_diff, SUCCESS_RATE.show_change)),
    ]) for d in differences.itertuples()]
    note = html.P(SIGNIFICANCE_NOTE, className="small text-muted")
    return html.Div([html.H5("Differences"), dbc.Table([header, html.Tbody(rows)], size="sm", striped=True,
                                                        responsive=True), note])


def _significance(difference) -> dbc.Badge:
    if pd.isna(difference.quality_diff_ci_low):  # an algorithm with fewer than 2 validations
        return dbc.Badge("not enough data", color="secondary")
    if difference.quality_significant:
        return dbc.Badge("yes", color="success")
    return dbc.Badge("no", color="light", text_color="dark")


def _quality(mean, low, high, signed: bool = False) -> str:
    if pd.isna(mean):
        return NONE
    number = MEAN_QUALITY.show_change if signed else MEAN_QUALITY.show
    shown = number(mean)
    if pd.isna(low):
        return shown
    return f"{shown} [{number(low)}, {number(high)}]"


def _number(value, show) -> str:
    return show(value) if pd.notna(value) else NONE
