"""Domains page without a browser: callbacks, figure and service checked against plain SQL + pandas."""
from __future__ import annotations

import json
from contextvars import copy_context
from datetime import date, datetime, timedelta
from urllib.parse import parse_qsl

import pandas as pd
import pytest
import sqlalchemy as sa
from dash._callback_context import context_value
from dash._utils import AttributeDict
from dash.exceptions import PreventUpdate

ROWS_SQL = sa.text(
    "SELECT v.created_at, v.quality, v.speedup, v.algorithm_id, a.domain_id, a.type, d.name AS domain "
    "FROM validations v JOIN algorithms a ON a.id = v.algorithm_id JOIN domains d ON d.id = a.domain_id"
)



def expected_stats(store, types: list[str], start: date, end: date, tz: str) -> pd.DataFrame:
    """Per-domain statistics computed with pandas from raw rows, independently of the query layer."""
    rows = store.read(ROWS_SQL)
    local_day = rows["created_at"].dt.tz_convert(tz).dt.date
    rows = rows[rows["type"].isin(types) & (local_day >= start) & (local_day <= end)]
    return rows.groupby(["domain_id", "domain"]).agg(
        algorithms=("algorithm_id", "nunique"), validations=("quality", "size"),
        mean_quality=("quality", "mean"), min_quality=("quality", "min"), mean_speedup=("speedup", "mean"),
        max_speedup=("speedup", "max"), success_rate=("quality", lambda q: (q > 70).mean()),
    ).reset_index().sort_values("mean_quality", ascending=False, ignore_index=True)


def card_values(cards) -> dict[str, dict[str, str]]:
    """``{domain_id: {stat: shown text}}`` read from the cards' data attributes."""
    shown = {}
    for card in cards._traverse():
        domain = getattr(card, "data-domain", None)
        if domain:
            shown[domain] = {getattr(c, "data-stat"): c.children for c in card._traverse()
                             if getattr(c, "data-stat", None)}
    return shown


def run_triggered(function, prop_id: str, value, *args):
    """Call a callback as Dash would after ``prop_id`` changed to ``value`` (Dash's documented test recipe)."""
    def call():
        context_value.set(AttributeDict(triggered_inputs=[{"prop_id": prop_id, "value": value}]))
        return function(*args)
    return copy_context().run(call)


def test_update_domains_matches_plain_sql(settled):
    from helios_dash.pages import domains

    today = datetime.now().date()
    start, end = today - timedelta(days=120), today - timedelta(days=30)
    view = {"type": ["novel", "hybrid"], "start": [start.isoformat()], "end": [end.isoformat()],
            "tz": ["America/New_York"]}
    figure, cards = domains.update_domains(view, 1)
    expected = expected_stats(settled, ["novel", "hybrid"], start, end, "America/New_York")
    assert len(expected) >= 5  # the demo data covers most domains: the comparison is not vacuous
    shown = card_values(cards)
    assert list(shown) == list(expected["domain_id"])  # best mean quality first
    for row in expected.itertuples():
        assert shown[row.domain_id]["validations"] == f"{row.validations:,}"
        assert shown[row.domain_id]["algorithms"] == f"{row.algorithms:,}"
        assert shown[row.domain_id]["mean_quality"] == f"{row.mean_quality:.1f}"
        assert shown[row.domain_id]["min_quality"] == f"{row.min_quality:.1f}"
        assert shown[row.domain_id]["max_speedup"] == f"{row.max_speedup:.2f}x"
        assert shown[row.domain_id]["success_rate"] == f"{row.success_rate:.1%}"
    bars, minimums = figure.data
    assert list(bars.y) == list(expected["domain"][::-1])  # the best domain drawn on top
    assert list(bars.x) == pytest.approx(list(expected["mean_quality"][::-1]))
    assert list(minimums.x) == pytest.approx(list(expected["min_quality"][::-1]))


def test_empty_view_shows_the_empty_state(settled):
    from helios_dash.figures.common import NO_DATA
    from helios_dash.pages import domains

    figure, cards = domains.update_domains({"start": ["1990-01-01"], "end": ["1990-01-31"]}, 1)
    assert figure.data == ()
    assert figure.layout.annotations[0].text == NO_DATA
    assert figure.layout.title.text
    assert cards.children == NO_DATA


def test_controls_become_the_query_string(dash_app):
    from helios_dash.pages import domains

    search = domains.update_domains_query(["quantum"], ["novel"], "2026-01-01", "2026-03-31", "Asia/Tokyo", {})
    assert search.startswith("?") and parse_qsl(search[1:]) == [
        ("domain", "quantum"), ("type", "novel"), ("start", "2026-01-01"), ("end", "2026-03-31"), ("tz", "Asia/Tokyo")]
    assert domains.update_domains_query([], [], None, None, "UTC", {}) == ""


def test_query_keeps_the_granularity_brought_from_trends(dash_app):
    from helios_dash.pages import domains

    search = domains.update_domains_query(["quantum"], [], None, None, "UTC", {"granularity": ["month"]})
    assert parse_qsl(search[1:]) == [("domain", "quantum"), ("granularity", "month")]


def test_click_on_a_bar_focuses_its_domain(dash_app):
    from helios_dash.pages import domains

    click = {"points": [{"y": "Quantum", "customdata": ["quantum", 17, 3442]}]}
    value = run_triggered(domains.update_domains_focus, "domains-chart.clickData", click, click, [])
    assert value == ["quantum"]


def test_card_button_focuses_its_domain(dash_app):
    from helios_dash.pages import domains
    from helios_dash.ui import ids

    prop_id = json.dumps({"domain": "optimization", "type": ids.DOMAINS_FOCUS}, separators=(",", ":"))
    value = run_triggered(domains.update_domains_focus, f"{prop_id}.n_clicks", 1, None, [None, 1])
    assert value == ["optimization"]


def test_buttons_drawn_but_not_clicked_change_nothing(dash_app):
    from helios_dash.pages import domains
    from helios_dash.ui import ids

    prop_id = json.dumps({"domain": "optimization", "type": ids.DOMAINS_FOCUS}, separators=(",", ":"))
    with pytest.raises(PreventUpdate):
        run_triggered(domains.update_domains_focus, f"{prop_id}.n_clicks", None, None, [None, None])


def test_bad_url_values_become_notices(dash_app):
    from dash import dcc

    import dash_bootstrap_components as dbc
    from helios_dash.pages import domains

    page = domains.layout(type="magic", start="yesterday", domain="quantum")
    notices = [c.children for c in page._traverse() if isinstance(c, dbc.Alert)]
    assert any("magic" in n for n in notices) and any("yesterday" in n for n in notices)
    view = next(c for c in page._traverse() if isinstance(c, dcc.Store) and c.id["type"] == "view-state")
    assert view.data == {"domain": ["quantum"]}


def test_domain_quality_chart_from_a_small_frame():
    from helios_dash.figures.domains import domain_quality_chart

    stats = pd.DataFrame({
        "domain_id": ["a", "b"], "domain": ["Alpha", "Beta"], "algorithms": [3, 2], "validations": [40, 10],
        "mean_quality": [80.0, 60.0], "min_quality": [50.0, 20.0], "mean_speedup": [1.5, 2.5],
        "max_speedup": [3.0, 4.0], "success_rate": [0.75, 0.2],
    })
    figure = domain_quality_chart(stats)
    bars, minimums = figure.data
    assert list(bars.y) == ["Beta", "Alpha"] and list(bars.x) == [60.0, 80.0]  # Alpha, the best, on top
    assert list(minimums.x) == [20.0, 50.0]
    assert [row[0] for row in bars.customdata] == ["b", "a"]  # a click names the domain id
    assert "speedup" in bars.hovertemplate and "Success rate" in bars.hovertemplate
    assert figure.layout.xaxis.title.text == "Mean quality (score 0-100)"
    assert figure.layout.yaxis.title.text == "Domain"
