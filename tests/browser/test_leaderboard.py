"""Leaderboard page in headless Chromium: numbers, URL state (filters, sort, search), rank change, live updates."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pandas as pd
import sqlalchemy as sa

from tests.browser.helpers import add_validations, current_query, open_shared_link, wait_for_chart
from tests.conftest import POLL_SECONDS

ROW = "#leaderboard-grid .ag-center-cols-container .ag-row[row-index='{}'] .ag-cell[col-id='{}']"
FIRST_NAME, FIRST_QUALITY = ROW.format(0, "name"), ROW.format(0, "mean_quality")
EVERY_NAME = "#leaderboard-grid .ag-center-cols-container .ag-row .ag-cell[col-id='name']"


def board(store, domain: str | None = None, since=None, until=None) -> pd.DataFrame:
    """The ranking recomputed with plain SQL and pandas: mean quality, then speedup, then tests, best first."""
    frame = store.read(sa.text(
        "SELECT v.algorithm_id, v.domain_id, v.quality, v.speedup, v.tests, v.created_at, a.name "
        "FROM validations v JOIN algorithms a ON a.id = v.algorithm_id"))
    if domain:
        frame = frame[frame["domain_id"] == domain]
    if since is not None:
        frame = frame[(frame["created_at"] >= since) & (frame["created_at"] < until)]
    stats = frame.groupby(["algorithm_id", "name"], as_index=False).agg(
        mean_quality=("quality", "mean"), mean_speedup=("speedup", "mean"), tests=("tests", "sum"),
        validations=("quality", "size"))
    return stats.sort_values(["mean_quality", "mean_speedup", "tests", "algorithm_id"],
                             ascending=[False, False, False, True], ignore_index=True)


def grid_names(dash_duo) -> list[str]:
    return sorted(e.text for e in dash_duo.find_elements(EVERY_NAME))


def open_page(dash_duo, search: str = "") -> None:
    dash_duo.driver.set_window_size(1280, 1800)  # room for the chart and the grid's first rows
    dash_duo.driver.get(f"{dash_duo.server_url}/leaderboard{search}")
    dash_duo.wait_for_element(FIRST_NAME, timeout=10)


def wait_for_query(dash_duo, key: str, value: list[str], timeout: float = 5) -> None:
    deadline = time.time() + timeout
    while current_query(dash_duo).get(key) != value and time.time() < deadline:
        time.sleep(0.1)
    assert current_query(dash_duo).get(key) == value


def reopen(dash_duo) -> None:
    """Load the current URL in a fresh page: only the URL carries the view."""
    shared = dash_duo.driver.current_url
    open_shared_link(dash_duo, shared)  # a fresh browser: only the URL carries the view
    dash_duo.wait_for_element(FIRST_NAME, timeout=10)


def test_hel401_leaderboard_draws_the_true_leader(dash_duo, dash_app, app_store):
    dash_duo.start_server(dash_app)
    open_page(dash_duo)
    leader = board(app_store).iloc[0]
    dash_duo.wait_for_text_to_equal(FIRST_NAME, leader["name"], timeout=10)
    assert dash_duo.find_element(FIRST_QUALITY).text == f"{leader['mean_quality']:.1f}"
    wait_for_chart(dash_duo, "leaderboard-chart")
    dash_duo.wait_for_contains_text("#leaderboard-summary", f"{leader['name']} leads", timeout=10)
    dots = dash_duo.find_elements("#leaderboard-chart .scatterlayer .point")
    assert len(dots) == min(25, len(board(app_store)))  # the top 25, one dot each
    # an open date range: no rank change column, and a way to get one
    assert dash_duo.find_element("#leaderboard-last-30").text == "Last 30 days"
    assert not dash_duo.find_elements(".ag-header-cell[col-id='rank_change']")
    assert dash_duo.get_logs() == []


def test_hel402_filter_and_sort_go_to_url_and_url_restores_view(dash_duo, dash_app, app_store):
    dash_duo.start_server(dash_app)
    open_page(dash_duo)
    dash_duo.select_dcc_dropdown("#leaderboard-domain", value="Quantum")
    wait_for_query(dash_duo, "domain", ["quantum"])
    dash_duo.wait_for_text_to_equal(FIRST_NAME, board(app_store, "quantum").iloc[0]["name"], timeout=10)

    dash_duo.find_element(".ag-header-cell[col-id='mean_speedup'] .ag-header-cell-label").click()
    wait_for_query(dash_duo, "sort", ["mean_speedup:desc"])
    fastest = board(app_store, "quantum").sort_values("mean_speedup", ascending=False).iloc[0]
    dash_duo.wait_for_text_to_equal(FIRST_NAME, fastest["name"], timeout=10)
    speedup = dash_duo.find_element(ROW.format(0, "mean_speedup")).text
    assert speedup == f"{fastest['mean_speedup']:.2f}x"

    reopen(dash_duo)
    dash_duo.wait_for_text_to_equal(FIRST_NAME, fastest["name"], timeout=10)
    assert dash_duo.find_element(ROW.format(0, "mean_speedup")).text == speedup
    assert "Quantum" in dash_duo.find_element("#leaderboard-domain").text
    assert current_query(dash_duo) == {"domain": ["quantum"], "sort": ["mean_speedup:desc"]}
    assert dash_duo.get_logs() == []


def test_hel403_search_box_filters_the_grid_and_stays_in_url(dash_duo, dash_app, app_store):
    dash_duo.start_server(dash_app)
    open_page(dash_duo)
    dash_duo.find_element("#leaderboard-search").send_keys("KEM\n")
    wait_for_query(dash_duo, "q", ["KEM"])
    expected = board(app_store)
    expected = sorted(expected.loc[expected["name"].str.contains("kem", case=False), "name"])
    assert 0 < len(expected) < 20  # a real narrowing, small enough for the grid to draw every row
    reopen(dash_duo)
    deadline = time.time() + 10
    while grid_names(dash_duo) != expected and time.time() < deadline:
        time.sleep(0.2)
    assert grid_names(dash_duo) == expected
    assert dash_duo.find_element("#leaderboard-search").get_attribute("value") == "KEM"
    assert dash_duo.get_logs() == []


def test_hel404_bad_sort_notice_and_rank_change_over_last_30_days(dash_duo, dash_app, app_store):
    dash_duo.start_server(dash_app)
    open_page(dash_duo, "?sort=magic:up")
    dash_duo.wait_for_contains_text(".alert-warning", "magic:up", timeout=10)
    dash_duo.find_element("#leaderboard-last-30").click()
    today = datetime.now(timezone.utc).date()
    wait_for_query(dash_duo, "end", [today.isoformat()])
    assert current_query(dash_duo)["start"] == [(today - timedelta(days=29)).isoformat()]
    dash_duo.wait_for_contains_text("#leaderboard-range-hint", "Rank change: against", timeout=10)

    midnight = pd.Timestamp(today, tz="UTC")
    now = board(app_store, since=midnight - pd.Timedelta(days=29), until=midnight + pd.Timedelta(days=1))
    before = board(app_store, since=midnight - pd.Timedelta(days=59), until=midnight - pd.Timedelta(days=29))
    leader = now.iloc[0]
    dash_duo.wait_for_text_to_equal(FIRST_NAME, leader["name"], timeout=10)
    previous = before.index[before["algorithm_id"] == leader["algorithm_id"]]
    # now ranked 1st, before ranked (index + 1)th: it rose by index places
    label = "new" if previous.empty else f"▲ {previous[0]}" if previous[0] > 0 else "="
    assert dash_duo.find_element(ROW.format(0, "rank_change")).text == label
    assert dash_duo.get_logs() == []


def test_hel405_new_validations_lift_an_algorithm_to_the_top(dash_duo, dash_app, app_store):
    dash_duo.start_server(dash_app)
    open_page(dash_duo)
    ranked = board(app_store)
    dash_duo.wait_for_text_to_equal(FIRST_NAME, ranked.iloc[0]["name"], timeout=10)
    # the low-ranked algorithm with the fewest runs needs the fewest perfect runs to overtake the leader
    riser = ranked.tail(10).sort_values("validations").iloc[0]
    target = (ranked.iloc[0]["mean_quality"] + 100) / 2
    needed = int(riser["validations"] * (target - riser["mean_quality"]) / (100 - target)) + 1
    domain = app_store.scalar(sa.text(f"SELECT domain_id FROM algorithms WHERE id = '{riser['algorithm_id']}'"))
    add_validations(app_store, riser["algorithm_id"], domain, needed, quality=100.0)
    dash_duo.wait_for_text_to_equal(FIRST_NAME, riser["name"], timeout=2 * POLL_SECONDS + 1)
    assert board(app_store).iloc[0]["algorithm_id"] == riser["algorithm_id"]


def test_hel410_rank_column_shows_each_rank_range(dash_duo, dash_app, settled):
    """The grid's rank cell reads '3 (2-7)', from the service's ranges (checked against brute force in test_rank_range)."""
    from helios_dash.filters import Filters
    from helios_dash.services.leaderboard import rank_algorithms

    dash_duo.start_server(dash_app)
    open_page(dash_duo, "?domain=quantum")
    expected = rank_algorithms(Filters(domains=("quantum",)))
    for row in range(3):
        best, worst, rank = (int(expected.loc[row, k]) for k in ("rank_best", "rank_worst", "rank"))
        text = f"{rank}" if best == worst else f"{rank} ({best}-{worst})"
        dash_duo.wait_for_text_to_equal(ROW.format(row, "rank"), text, timeout=10)
    assert "(" in dash_duo.find_element(ROW.format(1, "rank")).text  # the demo's intervals overlap: a real range
    assert dash_duo.get_logs() == []
