"""Overview services and callbacks as plain functions."""
from __future__ import annotations

from datetime import date, datetime, timezone

import sqlalchemy as sa

from helios_dash.schema import validations as v


def test_month_to_date_spans_clamp_to_the_shorter_month(dash_app):
    from helios_dash.services.overview import month_to_date_spans

    assert month_to_date_spans(date(2026, 3, 31)) == {
        "current": (date(2026, 3, 1), date(2026, 3, 31)), "previous": (date(2026, 2, 1), date(2026, 2, 28))}
    assert month_to_date_spans(date(2026, 1, 15))["previous"] == (date(2025, 12, 1), date(2025, 12, 15))


def test_kpis_match_plain_sql_for_a_domain(dash_app, app_store):
    from helios_dash.pages.overview import update_overview

    today = datetime.now(timezone.utc).date()
    rows = app_store.read(sa.select(v.c.quality, v.c.speedup).where(
        v.c.domain_id == "quantum", v.c.created_at >= datetime(today.year, today.month, 1, tzinfo=timezone.utc)))
    cards, figure, _top = update_overview({"domain": ["quantum"]}, None)
    shown = {c["props"]["data-kpi"]: c["props"]["children"]
             for c in _walk(cards.to_plotly_json()) if "data-kpi" in c.get("props", {})}
    assert shown["total_validations"] == f"{len(rows):,}"
    assert shown["mean_quality"] == f"{rows['quality'].mean():.1f}"
    assert shown["success_rate"] == f"{(rows['quality'] > 70).mean():.1%}"
    assert figure.layout.title.text.startswith("Mean quality per day")


def test_empty_view_says_so(dash_app):
    from helios_dash.pages.overview import update_overview

    cards, figure, top = update_overview({"domain": ["no-such-domain"]}, None)
    assert "no data" in str(cards.to_plotly_json())
    assert figure.layout.annotations[0].text == "No validations match these filters."
    assert "No validations match" in str(top.to_plotly_json())


def _walk(node):
    """Every component dict in a serialised Dash layout."""
    if isinstance(node, dict):
        yield node
        for value in node.get("props", {}).values():
            yield from _walk(value)
    elif isinstance(node, (list, tuple)):
        for item in node:
            yield from _walk(item)
    elif hasattr(node, "to_plotly_json"):
        yield from _walk(node.to_plotly_json())


def test_a_rate_changes_in_points_and_a_zero_change_is_neutral(dash_app):
    from helios_dash.pages.overview import describe_change

    assert describe_change(0.9, "{:+.1f} pts") == ("+0.9 pts", "text-success")  # 62.0% -> 62.9%
    assert describe_change(-0.04, "{:+.1f}") == ("0.0", "text-muted")  # rounds to -0.0: no sign, no colour
    assert describe_change(-0.004, "{:+.2f}x") == ("0.00x", "text-muted")
    assert describe_change(-3.0, "{:+,.0f}") == ("-3", "text-danger")
    assert describe_change(1234.0, "{:+,.0f}") == ("+1,234", "text-success")


def test_success_rate_card_speaks_in_points(dash_app):
    import pandas as pd

    from helios_dash.pages.overview import kpi_cards

    months = pd.DataFrame({"total_validations": [10, 10], "mean_quality": [70.0, 70.0], "success_rate": [0.625, 0.6],
                           "best_speedup": [2.0, 2.0], "period": ["December", "November"]},
                          index=["current", "previous"])
    text = str(kpi_cards(months).to_plotly_json())
    assert "+2.5 pts vs November" in text  # 62.5% - 60.0% = 2.5 points, not "+2.5%"
