"""Leaderboard service, summary sentence, chart and callbacks as plain functions."""
from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import dash
import pandas as pd
import pytest
import sqlalchemy as sa

from helios_dash.errors import BadRequest
from helios_dash.figures.leaderboard import leaderboard_chart
from helios_dash.filters import Filters
from helios_dash.services.leaderboard import format_sort, parse_sort, sort_board, summarize_leaderboard

NAN = math.nan


def hand_board(*rows) -> pd.DataFrame:
    """A leaderboard from (rank, name, domain, mean quality, interval half-width or NaN, tied) rows."""
    return pd.DataFrame([{
        "rank": rank, "algorithm_id": name.lower().replace(" ", "-"), "name": name, "domain": domain,
        "mean_quality": mean, "ci_low": mean - half, "ci_high": mean + half, "tied": tied,
        "mean_speedup": 1.0 + rank / 10, "tests": 10 * rank, "validations": 5 * rank,
        "rank_change": pd.NA,
    } for rank, name, domain, mean, half, tied in rows])


def plain_board(store, domain: str | None = None) -> pd.DataFrame:
    """Mean quality and speedup per algorithm with plain SQL and pandas, ranked like the leaderboard."""
    frame = store.read(sa.text(
        "SELECT v.algorithm_id, v.domain_id, v.quality, v.speedup, v.tests, a.name "
        "FROM validations v JOIN algorithms a ON a.id = v.algorithm_id"))
    if domain:
        frame = frame[frame["domain_id"] == domain]
    stats = frame.groupby(["algorithm_id", "name"], as_index=False).agg(
        mean_quality=("quality", "mean"), mean_speedup=("speedup", "mean"), tests=("tests", "sum"))
    return stats.sort_values(["mean_quality", "mean_speedup", "tests", "algorithm_id"],
                             ascending=[False, False, False, True], ignore_index=True)


# -- the summary sentence --------------------------------------------------------
def test_summary_of_a_lead_inside_the_interval_of_number_two():
    board = hand_board((1, "Adaptive QAOA", "Quantum", 91.2, 1.1, False),
                       (2, "Warm VQE", "Quantum", 90.5, 1.3, True))
    assert summarize_leaderboard(board) == (
        "Adaptive QAOA leads Quantum at 91.2 ± 1.1; not significantly ahead of #2 Warm VQE (90.5 ± 1.3).")


def test_summary_of_a_clear_lead_across_domains_reads_the_rank_not_the_row_order():
    board = hand_board((2, "Beta", "Graphs", 85.0, 2.0, False),
                       (1, "Alpha", "Quantum", 91.2, 1.1, False),
                       (3, "Gamma", "Graphs", 84.0, 2.5, True))
    assert summarize_leaderboard(board) == (
        "Alpha leads 3 algorithms across 2 domains at 91.2 ± 1.1; significantly ahead of #2 Beta (85.0 ± 2.0).")


def test_summary_of_a_single_algorithm_with_a_single_validation():
    board = hand_board((1, "Lonely", "Optimization", 80.0, NAN, False))
    assert summarize_leaderboard(board) == (
        "Lonely is the only algorithm in Optimization, at 80.0 (one validation, no interval).")


def test_summary_of_nothing():
    assert summarize_leaderboard(hand_board().reindex(columns=["rank", "name"])) == (
        "No validations match these filters.")


# -- the sort parameter ----------------------------------------------------------------
def test_sort_parameter_round_trips_and_defaults_to_rank():
    assert parse_sort("mean_speedup:desc,tests:asc") == [("mean_speedup", False), ("tests", True)]
    assert format_sort([("mean_speedup", False), ("tests", True)]) == "mean_speedup:desc,tests:asc"
    assert parse_sort(None) == parse_sort("") == [("rank", True)]
    assert format_sort([("rank", True)]) is None and format_sort([]) is None


@pytest.mark.parametrize("text", ["speed", "mean_speedup", "mean_speedup:up", "password:asc", "rank:asc,x:desc"])
def test_bad_sort_is_a_bad_request(text):
    with pytest.raises(BadRequest, match="Cannot sort by"):
        parse_sort(text)


def test_sort_board_puts_missing_values_last_and_breaks_ties_by_rank():
    board = hand_board((1, "A", "Q", 90, 1, False), (2, "B", "Q", 80, 1, True), (3, "C", "Q", 70, 1, True))
    board["rank_change"] = pd.array([pd.NA, 2, 2], dtype="Int64")
    assert list(sort_board(board, [("rank_change", False)])["name"]) == ["B", "C", "A"]
    assert list(sort_board(board, [("name", False)])["name"]) == ["C", "B", "A"]


# -- the chart ---------------------------------------------------------------------------
def test_chart_draws_the_top_25_by_rank_with_asymmetric_interval_widths():
    rows = [(r, f"Algo {r:02d}", "Quantum", 100 - r, 0.5 + r / 10, r % 3 == 0) for r in range(30, 0, -1)]
    board = hand_board(*rows)
    board.loc[board["rank"] == 2, "ci_high"] = 99.0  # mean 98, interval 97.3-99.0: 1.0 above, 0.7 below
    figure = leaderboard_chart(board)
    assert sum(len(trace.x) for trace in figure.data) == 25
    assert list(figure.layout.yaxis.categoryarray) == [f"#{r} Algo {r:02d}" for r in range(1, 26)]
    dots = figure.data[0]  # one series: the old "≈ tied" split marked nearly every row (tiers: test_rank_range)
    second = list(dots.y).index("#2 Algo 02")
    assert dots.x[second] == 98
    assert dots.error_x.array[second] == pytest.approx(1.0)
    assert dots.error_x.arrayminus[second] == pytest.approx(0.7)
    assert figure.layout.xaxis.title.text == "Mean quality (score 0-100)"
    assert "95% interval" in dots.hovertemplate


def test_chart_of_nothing_is_an_empty_state():
    figure = leaderboard_chart(hand_board().reindex(columns=["rank", "name", "tied"]))
    assert figure.layout.annotations[0].text == "No validations match these filters."
    assert figure.layout.title.text.startswith("Mean quality with 95% interval")


# -- service and callbacks over the demo store -----------------------------------------------
def test_rank_algorithms_agrees_with_plain_sql(dash_app, app_store):
    from helios_dash.services.leaderboard import rank_algorithms

    expected = plain_board(app_store, "quantum")
    board = rank_algorithms(Filters(domains=("quantum",)))
    assert list(board["algorithm_id"]) == list(expected["algorithm_id"])
    assert board["mean_quality"].tolist() == pytest.approx(expected["mean_quality"].tolist())
    by_speed = rank_algorithms(Filters(domains=("quantum",), sort="mean_speedup:desc"))
    assert by_speed.iloc[0]["algorithm_id"] == expected.sort_values("mean_speedup").iloc[-1]["algorithm_id"]


def test_update_leaderboard_fills_summary_chart_and_rows(dash_app, app_store):
    from helios_dash.pages.leaderboard import update_leaderboard

    leader = plain_board(app_store, "quantum").iloc[0]
    summary, figure, rows = update_leaderboard({"domain": ["quantum"]}, None)
    assert summary.startswith(f"{leader['name']} leads Quantum at {leader['mean_quality']:.1f} ± ")
    assert rows[0]["name"] == leader["name"] and rows[0]["change_label"] == ""  # open range: no change
    assert figure.data[0].y[0] == f"#1 {leader['name']}"
    assert all(value is None or value == value for row in rows for value in row.values())  # no NaN in JSON


def test_update_leaderboard_with_a_closed_range_spells_out_rank_change(dash_app):
    from helios_dash.pages.leaderboard import update_leaderboard

    end = date.today() - timedelta(days=60)  # well inside the demo data, which ends today
    _, _, rows = update_leaderboard({"start": [(end - timedelta(days=29)).isoformat()], "end": [end.isoformat()]},
                                    None)
    expected = {row["rank"]: ("new" if row["previous_rank"] is None else
                              f"▲ {row['previous_rank'] - row['rank']}" if row["previous_rank"] > row["rank"] else
                              f"▼ {row['rank'] - row['previous_rank']}" if row["previous_rank"] < row["rank"] else "=")
                for row in rows}
    assert rows and {row["rank"]: row["change_label"] for row in rows} == expected
    assert any(label.startswith("▲") for label in expected.values())


def test_update_leaderboard_for_an_empty_view_says_so(dash_app):
    from helios_dash.pages.leaderboard import update_leaderboard

    summary, figure, rows = update_leaderboard({"start": ["1990-01-01"], "end": ["1990-01-31"]}, None)
    assert summary == "No validations match these filters."
    assert figure.layout.annotations[0].text == "No validations match these filters."
    assert rows == []


def test_change_labels(dash_app):
    from helios_dash.pages.leaderboard import change_label

    assert [change_label(c, True) for c in (3, -2, 0, pd.NA)] == ["▲ 3", "▼ 2", "=", "new"]
    assert change_label(pd.NA, False) == "" and change_label(3, False) == ""


def test_controls_write_the_url_and_keep_the_grid_sort(dash_app):
    from helios_dash.pages.leaderboard import update_leaderboard_query

    view = {"sort": ["tests:desc"], "domain": ["graphs"]}
    search = update_leaderboard_query(["quantum"], ["novel"], "2026-01-01", "2026-01-31", "Europe/Paris", "kem", view)
    assert search == ("?domain=quantum&type=novel&start=2026-01-01&end=2026-01-31&sort=tests:desc"
                      "&tz=Europe/Paris&q=kem")
    assert update_leaderboard_query([], [], None, None, "UTC", "", {}) == ""


def test_a_new_grid_sort_goes_to_the_url_and_a_repeated_one_does_not(dash_app):
    from helios_dash.pages.leaderboard import update_leaderboard_sort

    view = {"domain": ["quantum"], "q": ["kem"]}
    state = [{"colId": "tests", "sort": "asc", "sortIndex": 1}, {"colId": "name", "sort": None},
             {"colId": "mean_speedup", "sort": "desc", "sortIndex": 0}]
    assert update_leaderboard_sort(state, view) == "?domain=quantum&sort=mean_speedup:desc,tests:asc&q=kem"
    assert update_leaderboard_sort(state, {**view, "sort": ["mean_speedup:desc,tests:asc"]}) is dash.no_update
    assert update_leaderboard_sort([{"colId": "rank", "sort": "asc"}], view) is dash.no_update  # the default


def test_last_30_days_button_uses_the_viewers_day(dash_app):
    from helios_dash.pages.leaderboard import update_leaderboard_dates

    start, end = update_leaderboard_dates(1, "Pacific/Kiritimati")
    today = datetime.now(ZoneInfo("Pacific/Kiritimati")).date()
    assert (start, end) == ((today - timedelta(days=29)).isoformat(), today.isoformat())


def test_last_30_days_button_drawn_again_but_not_clicked_leaves_the_dates_alone(dash_app):
    from helios_dash.pages.leaderboard import update_leaderboard_dates

    # Dash calls this when the range hint redraws the button (n_clicks None), e.g. after a sort
    assert update_leaderboard_dates(None, "UTC") == (dash.no_update, dash.no_update)
    assert update_leaderboard_dates(0, "UTC") == (dash.no_update, dash.no_update)


def test_bad_url_values_become_notices_and_the_grid_follows_the_url(dash_app):
    from helios_dash.pages.leaderboard import column_defs, layout

    page = str(layout(sort="password:asc", domain=["quantum", "atlantis"]).to_plotly_json())
    assert "Ignored sort='password:asc'" in page and "Ignored unknown domain(s): atlantis." in page
    assert "Last 30 days" in page  # open range: the hint to get a rank change
    defs = {c["field"]: c for c in column_defs([("mean_speedup", False), ("tests", True)], closed_range=False)}
    assert (defs["mean_speedup"]["sort"], defs["mean_speedup"]["sortIndex"]) == ("desc", 0)
    assert (defs["tests"]["sort"], defs["tests"]["sortIndex"]) == ("asc", 1)
    assert defs["rank_change"]["hide"] and "sort" not in defs["rank"]
    assert {c["field"]: c for c in column_defs([("rank", True)], True)}["rank_change"]["hide"] is False
    assert "Rank change: against 2026-05-02 to 2026-05-31" in str(layout(start="2026-06-01", end="2026-06-30")
                                                                   .to_plotly_json())


def test_search_keeps_rows_matching_every_word():
    import pandas as pd

    from helios_dash.services.leaderboard import search_board

    board = pd.DataFrame({"name": ["Lattice-Based KEM", "Code-Based KEM", "Tabu Search"],
                          "domain": ["Cryptography", "Cryptography", "Optimization"],
                          "type": ["novel", "baseline", "baseline"]})
    assert search_board(board, "kem")["name"].tolist() == ["Lattice-Based KEM", "Code-Based KEM"]
    assert search_board(board, "KEM baseline")["name"].tolist() == ["Code-Based KEM"]
    assert search_board(board, "  ")["name"].tolist() == board["name"].tolist()
    assert search_board(board, "quantum").empty


def test_leaderboard_download_follows_the_grid_search(dash_app, settled):
    import io

    import pandas as pd

    from helios_dash.pages._downloads import export_page

    with dash_app.server.test_request_context():  # as Dash runs it: inside a request
        data, message = export_page("leaderboard", "csv", {"domain": ["cryptography"], "q": ["kem"]})
    rows = pd.read_csv(io.BytesIO(__import__("base64").b64decode(data["content"])))
    assert message == "" and len(rows) > 0
    assert rows["Algorithm"].str.casefold().str.contains("kem").all()
