"""Filter controls: one builder per control, ids from ``ids.control(page, name)``."""
from __future__ import annotations

from datetime import date

import dash_bootstrap_components as dbc
from dash import dcc, html

from ..filters import ALGORITHM_TYPES, GRANULARITIES, Filters
from . import ids

COMMON_TIMEZONES = [
    "UTC", "Europe/London", "Europe/Paris", "Europe/Berlin", "America/New_York", "America/Chicago",
    "America/Los_Angeles", "America/Sao_Paulo", "Asia/Kolkata", "Asia/Shanghai", "Asia/Tokyo",
    "Australia/Sydney",
]


def _labelled(label: str, control, width: dict) -> dbc.Col:
    return dbc.Col([dbc.Label(label, html_for=control.id, className="small text-muted mb-1"), control], **width)


def domain_control(page: str, filters: Filters, options: list[dict]) -> dbc.Col:
    dropdown = dcc.Dropdown(id=ids.control(page, ids.DOMAIN), options=options, value=list(filters.domains),
                            multi=True, placeholder="All domains")
    return _labelled("Domains", dropdown, {"xs": 12, "md": 6, "xl": 3})


def type_control(page: str, filters: Filters) -> dbc.Col:
    dropdown = dcc.Dropdown(id=ids.control(page, ids.TYPE), options=[{"label": t.capitalize(), "value": t}
                            for t in ALGORITHM_TYPES], value=list(filters.types), multi=True,
                            placeholder="All types")
    return _labelled("Algorithm types", dropdown, {"xs": 12, "md": 6, "xl": 2})


def date_control(page: str, filters: Filters) -> dbc.Col:
    picker = dcc.DatePickerRange(
        id=ids.control(page, ids.DATES), start_date=_iso(filters.start), end_date=_iso(filters.end),
        display_format="YYYY-MM-DD", clearable=True, start_date_placeholder_text="Start",
        end_date_placeholder_text="End")
    return _labelled("Dates (inclusive)", picker, {"xs": 12, "md": 6, "xl": 3})


def granularity_control(page: str, filters: Filters) -> dbc.Col:
    radio = dbc.RadioItems(id=ids.control(page, ids.GRANULARITY), value=filters.granularity, inline=True,
                           options=[{"label": g.capitalize(), "value": g} for g in GRANULARITIES])
    return _labelled("Granularity", radio, {"xs": 12, "md": 6, "xl": 2})


def tz_control(page: str, filters: Filters) -> dbc.Col:
    zones = COMMON_TIMEZONES + ([filters.tz] if filters.tz not in COMMON_TIMEZONES else [])
    dropdown = dcc.Dropdown(id=ids.control(page, ids.TZ), options=zones, value=filters.tz, clearable=False)
    return _labelled("Timezone", dropdown, {"xs": 12, "md": 6, "xl": 2})


def filter_bar(*columns) -> dbc.Card:
    """The row of controls at the top of a page."""
    return dbc.Card(dbc.CardBody(dbc.Row(list(columns), className="g-2")), className="mb-3")


def filters_from_controls(domains=None, types=None, start=None, end=None, granularity=None, tz=None,
                          algorithms=None, sort=None) -> Filters:
    """Control values (None where a page has no such control) to a ``Filters``."""
    return Filters(
        domains=tuple(domains or ()), types=tuple(types or ()),
        start=_date(start), end=_date(end), granularity=granularity or "week",
        algorithms=tuple(algorithms or ()), sort=sort or None, tz=tz or "UTC",
    )


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value[:10]) if value else None
