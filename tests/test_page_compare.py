"""Compare services, charts and callbacks as plain functions."""
from __future__ import annotations

import math

import pandas as pd
import pytest
import sqlalchemy as sa

from helios_dash.figures.common import PALETTE
from helios_dash.figures.compare import compare_quality_chart, compare_trends_chart
from helios_dash.filters import Filters

CHOSEN = ("warm-started-vqe", "code-based-kem", "lattice-based-kem")


def plain_validations(store, chosen) -> pd.DataFrame:
    """The chosen algorithms' validations, read with plain SQL."""
    frame = store.read(sa.text("SELECT algorithm_id, quality, speedup, created_at FROM validations"))
    return frame[frame["algorithm_id"].isin(chosen)]


def hand_metrics(*rows) -> pd.DataFrame:
    """Comparison metrics from (id, name, mean quality, interval half-width or NaN, validations) rows."""
    return pd.DataFrame([{"algorithm_id": a, "name": n, "mean_quality": q, "ci_low": q - h, "ci_high": q + h,
                          "validations": v} for a, n, q, h, v in rows])


def hand_trends(categories, *rows) -> pd.DataFrame:
    """Trend rows (id, name, period start, validations, mean quality) over the chosen ``categories``."""
    frame = pd.DataFrame(rows, columns=["algorithm_id", "name", "period_start", "validations", "mean_quality"])
    frame["period_start"] = pd.to_datetime(frame["period_start"])
    frame["algorithm_id"] = pd.Categorical(frame["algorithm_id"], categories=categories)
    return frame


# -- charts -----------------------------------------------------------------------------
def test_quality_chart_draws_each_interval_in_the_chosen_colour():
    figure = compare_quality_chart(hand_metrics(("a", "Alpha", 80.0, 2.0, 10), ("b", "Beta", 70.0, math.nan, 1)))
    alpha, beta = figure.data
    assert (alpha.x[0], alpha.error_x.array[0], alpha.error_x.arrayminus[0]) == (80.0, 2.0, 2.0)
    assert (alpha.marker.color, beta.marker.color) == (PALETTE[0], PALETTE[1])
    assert beta.customdata[0][0] == "n/a (fewer than 2 validations)"
    assert list(figure.layout.yaxis.categoryarray) == ["Alpha", "Beta"]
    assert figure.layout.xaxis.title.text == "Mean quality (score 0-100)"


def test_quality_chart_without_any_validation_is_an_empty_state():
    figure = compare_quality_chart(hand_metrics(("a", "Alpha", math.nan, math.nan, 0)))
    assert figure.layout.annotations[0].text == "None of these algorithms has validations in this date range."


def test_trends_chart_keeps_colours_when_an_algorithm_has_no_data():
    trends = hand_trends(["a", "b", "c"], ("a", "Alpha", "2026-01-05", 3, 71.0), ("c", "Gamma", "2026-01-05", 2, 64.0),
                         ("c", "Gamma", "2026-01-12", 0, math.nan))
    figure = compare_trends_chart(trends, "week", "Europe/Paris")
    assert [t.name for t in figure.data] == ["Alpha", "Gamma"]
    assert [t.line.color for t in figure.data] == [PALETTE[0], PALETTE[2]]  # Gamma stays third
    assert list(figure.data[1].y[:1]) == [64.0] and math.isnan(figure.data[1].y[1])  # a gap, not a zero
    assert figure.layout.title.text == "Mean quality per week"
    assert figure.layout.xaxis.title.text == "Week starting (Europe/Paris)"
    assert "validations" in figure.data[0].hovertemplate


def test_trends_chart_without_validations_is_an_empty_state():
    figure = compare_trends_chart(hand_trends(["a", "b"]), "month")
    assert figure.layout.annotations[0].text == "None of these algorithms has validations in this date range."


# -- services over the demo store -----------------------------------------------------------
def test_compare_algorithms_agrees_with_plain_sql(dash_app, app_store):
    from helios_dash.services.compare import compare_algorithms

    rows = plain_validations(app_store, CHOSEN)
    means = rows.groupby("algorithm_id")["quality"].mean()
    comparison = compare_algorithms(Filters(algorithms=CHOSEN))
    assert list(comparison.metrics["algorithm_id"]) == list(CHOSEN)
    assert comparison.metrics["mean_quality"].tolist() == pytest.approx([means[a] for a in CHOSEN])
    first = comparison.differences.iloc[0]
    assert (first["algorithm_a"], first["algorithm_b"]) == CHOSEN[:2]
    assert first["mean_quality_diff"] == pytest.approx(means[CHOSEN[0]] - means[CHOSEN[1]])
    assert len(comparison.differences) == 3


def test_compare_trends_are_weekly_means_per_algorithm(dash_app, app_store):
    from helios_dash.services.compare import compare_trends

    rows = plain_validations(app_store, CHOSEN[:2])
    day = rows["created_at"].dt.tz_convert("UTC").dt.tz_localize(None).dt.normalize()
    rows = rows.assign(week=day - pd.to_timedelta(day.dt.dayofweek, unit="D"))
    expected = rows.groupby(["algorithm_id", "week"])["quality"].agg(["mean", "size"])
    trends = compare_trends(Filters(algorithms=CHOSEN[:2]))
    assert list(trends["algorithm_id"].cat.categories) == list(CHOSEN[:2])
    shown = trends[trends["validations"] > 0].set_index(["algorithm_id", "period_start"])
    assert len(shown) == len(expected)
    for (algorithm, week), row in expected.iterrows():
        assert shown.loc[(algorithm, week), "mean_quality"] == pytest.approx(row["mean"])
        assert shown.loc[(algorithm, week), "validations"] == row["size"]


# -- callbacks and URL handling -------------------------------------------------------------
@pytest.mark.parametrize("view, message", [
    ({}, "Choose 2 to 8 algorithms above"),
    ({"algorithms": ["warm-started-vqe"]}, "(1 chosen)"),
    ({"algorithms": [",".join(f"a{i}" for i in range(9))]}, "(9 chosen)"),
])
def test_fewer_than_2_or_more_than_8_algorithms_give_a_message_and_empty_charts(dash_app, view, message):
    from helios_dash.pages.compare import update_compare

    alert, table, differences, quality, trends = update_compare(view, None)
    assert message in alert.children and alert.color == "info"
    assert table is None and differences is None
    assert quality.layout.annotations[0].text == trends.layout.annotations[0].text == "Nothing to compare yet."


def test_update_compare_fills_tables_and_charts(dash_app, app_store):
    from helios_dash.pages.compare import update_compare

    means = plain_validations(app_store, CHOSEN).groupby("algorithm_id")["quality"].mean()
    alert, table, differences, quality, trends = update_compare({"algorithms": [",".join(CHOSEN)],
                                                                 "granularity": ["month"]}, None)
    assert alert is None
    page = str(table.to_plotly_json())
    assert all(f"{means[a]:.1f} [" in page for a in CHOSEN)
    _title, pairs_table, _note = differences.children
    assert len(pairs_table.children[1].children) == 3  # one body row per pair
    assert [t.x[0] for t in quality.data] == pytest.approx([means[a] for a in CHOSEN])
    assert len(trends.data) == 3 and trends.layout.title.text == "Mean quality per month"


def test_unknown_and_repeated_ids_are_dropped_with_a_notice(dash_app):
    from helios_dash.pages.compare import compare_view

    filters, notices = compare_view({"algorithms": "nope,a,a,b", "domain": ["quantum"], "type": "novel"}, {"a", "b"})
    assert filters.algorithms == ("a", "b") and filters.domains == () and filters.types == ()
    assert notices == ["Ignored unknown algorithm id(s): nope."]


def test_controls_write_the_url(dash_app):
    from helios_dash.pages.compare import update_compare_query

    assert update_compare_query(["a", "b"], "2026-01-01", None, "month", "Asia/Tokyo") == (
        "?start=2026-01-01&granularity=month&algorithms=a,b&tz=Asia/Tokyo")
    assert update_compare_query([], None, None, "week", "UTC") == ""


def test_differences_table_marks_missing_intervals(dash_app):
    from helios_dash.pages.compare import differences_table

    metrics = hand_metrics(("a", "Alpha", 80.0, 2.0, 10), ("b", "Beta", 70.0, math.nan, 1))
    differences = pd.DataFrame([{"algorithm_a": "a", "algorithm_b": "b", "mean_quality_diff": 10.0,
                                 "quality_diff_ci_low": math.nan, "quality_diff_ci_high": math.nan,
                                 "quality_significant": False, "mean_speedup_diff": -0.5,
                                 "success_rate_diff": 0.25}])
    shown = str(differences_table(differences, metrics).to_plotly_json())
    assert "children='Alpha', href='/algorithms/a'" in shown and "' − '" in shown  # each name links to its page
    assert "children='Beta', href='/algorithms/b'" in shown and "+10.0" in shown and "not enough data" in shown
    assert "-0.50x" in shown and "+25.0 pts" in shown
