"""Filter controls: one builder per control, ids from ``ids.control(page, name)``."""
from __future__ import annotations

import json
from datetime import date

import dash
import dash_bootstrap_components as dbc
from dash import ALL, MATCH, Input, Output, State, dcc, html

from ..domain.types import ALGORITHM_TYPES
from ..filters import DATE_MAX, DATE_MIN, GRANULARITIES, Filters
from . import ids

COMMON_TIMEZONES = [
    "UTC", "Europe/London", "Europe/Paris", "Europe/Berlin", "America/New_York", "America/Chicago",
    "America/Los_Angeles", "America/Sao_Paulo", "Asia/Kolkata", "Asia/Shanghai", "Asia/Tokyo",
    "Australia/Sydney",
]


def labelled(label: str, control, width: dict) -> dbc.Col:
    """A control with its small label above, in a grid column of ``width``."""
    return dbc.Col([dbc.Label(label, html_for=control.id, className="small text-muted mb-1"), control], **width)


def domain_control(page: str, filters: Filters, options: list[dict]) -> dbc.Col:
    dropdown = dcc.Dropdown(id=ids.control(page, ids.DOMAIN), options=options, value=list(filters.domains),
                            multi=True, placeholder="All domains")
    return labelled("Domains", dropdown, {"xs": 12, "md": 6, "xl": 3})


def type_control(page: str, filters: Filters) -> dbc.Col:
    dropdown = dcc.Dropdown(id=ids.control(page, ids.TYPE), options=[{"label": t.capitalize(), "value": t}
                            for t in ALGORITHM_TYPES], value=list(filters.types), multi=True,
                            placeholder="All types")
    return labelled("Algorithm types", dropdown, {"xs": 12, "md": 6, "xl": 2})


def date_control(page: str, filters: Filters) -> dbc.Col:
    picker = dcc.DatePickerRange(
        id=ids.control(page, ids.DATES), start_date=_iso(filters.start), end_date=_iso(filters.end),
        display_format="YYYY-MM-DD", clearable=True, start_date_placeholder_text="Start",
        end_date_placeholder_text="End", min_date_allowed=DATE_MIN, max_date_allowed=DATE_MAX,
        # None, sent as null, lets the calendar open on the dates it holds now, else on today;
        # left out, it would open an empty range on the earliest allowed month, January 1970.
        initial_visible_month=None)
    return labelled("Dates (inclusive)", picker, {"xs": 12, "md": 6, "xl": 3})


def keep_dates_in_order(page: str) -> None:
    """Show a range typed backwards in order in ``page``'s picker, as the URL has it (see ``_in_order``).

    Call once per page, at import: Dash registers callbacks before the first request.
    """
    picker = ids.control(page, ids.DATES)
    dash.clientside_callback(
        """
        function(start, end) {
            const keep = window.dash_clientside.no_update;
            return start && end && start.slice(0, 10) > end.slice(0, 10) ? [end, start] : [keep, keep];
        }
        """,
        # allow_duplicate: the Leaderboard's "Last 30 days" button writes the dates too
        Output(picker, "start_date", allow_duplicate=True), Output(picker, "end_date", allow_duplicate=True),
        Input(picker, "start_date"), Input(picker, "end_date"),
        prevent_initial_call=True,
    )


def granularity_control(page: str, filters: Filters) -> dbc.Col:
    radio = dbc.RadioItems(id=ids.control(page, ids.GRANULARITY), value=filters.granularity, inline=True,
                           options=[{"label": g.capitalize(), "value": g} for g in GRANULARITIES])
    return labelled("Granularity", radio, {"xs": 12, "md": 6, "xl": 2})


def tz_control(page: str, filters: Filters) -> dbc.Col:
    zones = COMMON_TIMEZONES + ([filters.tz] if filters.tz not in COMMON_TIMEZONES else [])
    dropdown = dcc.Dropdown(id=ids.control(page, ids.TZ), options=zones, value=filters.tz, clearable=False)
    return labelled("Timezone", dropdown, {"xs": 12, "md": 6, "xl": 2})


FILTERS_TOGGLE, FILTERS_COLLAPSE = "filters-toggle", "filters-collapse"
FILTER_KEYS = ("domain", "type", "start", "granularity", "tz")  # "end" counts with "start": one date range


def filter_bar(*columns) -> html.Div:
    """The row of controls at the top of a page.

    Below the ``md`` breakpoint (phones) it folds behind a "Filters (n active)" button, so the
    first screen shows the data; from ``md`` up it is always open (assets/layout.css).
    """
    card = dbc.Card(dbc.CardBody(dbc.Row(list(columns), className="g-2")), className="mb-3")
    toggle = dbc.Button("Filters", id={"type": FILTERS_TOGGLE, "bar": 0}, color="secondary", outline=True,
                        size="sm", className="d-md-none mb-2")
    return html.Div([toggle, dbc.Collapse(card, id={"type": FILTERS_COLLAPSE, "bar": 0}, is_open=False,
                                          className="filters-collapse")], className="filter-bar")


# The button counts the filters of the view that differ from their defaults (the view leaves
# defaults out), and follows every change: controls update the view without redrawing the page.
dash.clientside_callback(
    """
    function(views, toggles) {
        const keys = %s;
        const view = (views || []).find((v) => v && typeof v === "object") || {};
        const active = keys.filter((key) => view[key] || (key === "start" && view.end)).length;
        return toggles.map(() => `Filters (${active} active)`);
    }
    """ % json.dumps(FILTER_KEYS),
    Output({"type": FILTERS_TOGGLE, "bar": ALL}, "children"),
    Input({"type": ids.VIEW_STATE, "page": ALL}, "data"),
    State({"type": FILTERS_TOGGLE, "bar": ALL}, "id"),
)

dash.clientside_callback(
    "function(clicks, isOpen) { return clicks ? !isOpen : isOpen; }",
    Output({"type": FILTERS_COLLAPSE, "bar": MATCH}, "is_open"),
    Input({"type": FILTERS_TOGGLE, "bar": MATCH}, "n_clicks"),
    State({"type": FILTERS_COLLAPSE, "bar": MATCH}, "is_open"),
    prevent_initial_call=True,
)


KEEP = object()  # "this page has no such control": the field keeps the URL's value


def filters_from_controls(base: Filters | None = None, *, domains=KEEP, types=KEEP, start=KEEP, end=KEEP,
                          granularity=KEEP, tz=KEEP, algorithms=KEEP, sort=KEEP) -> Filters:
    """The view the controls ask for: ``base`` (the view in the URL) with the page's controls applied.

    Fields a page has no control for keep their value from ``base``, so a filter
    chosen on another page survives a change made on this one.
    """
    given = {"domains": domains, "types": types, "start": start, "end": end, "granularity": granularity,
             "tz": tz, "algorithms": algorithms, "sort": sort}
    convert = {"domains": _tuple, "types": _tuple, "algorithms": _tuple, "start": _date, "end": _date,
               "granularity": lambda g: g or "week", "tz": lambda z: z or "UTC", "sort": lambda s: s or None}
    changes = {name: convert[name](value) for name, value in given.items() if value is not KEEP}
    return (base or Filters()).replace(**_in_order(changes))


def _in_order(changes: dict) -> dict:
    """The dates swapped when typed backwards: the same days, as the picker's calendar itself orders a range.

    A typed date commits as soon as focus leaves its field (assets/helios.js), so a start typed
    after the end reaches this point; refusing it would raise and leave the URL unchanged.
    """
    start, end = changes.get("start"), changes.get("end")
    if start and end and start > end:
        return {**changes, "start": end, "end": start}
    return changes


def _tuple(values) -> tuple:
    return tuple(values or ())


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _date(value: str | None) -> date | None:
    """The picker's date; one outside the supported range (typed past the picker's limits) counts as none."""
    day = date.fromisoformat(value[:10]) if value else None
    return day if day and DATE_MIN <= day <= DATE_MAX else None
