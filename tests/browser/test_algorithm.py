"""The algorithm page in headless Chromium: a name on the Leaderboard leads there, with the view's filters."""
from __future__ import annotations

import time
from urllib.parse import urlparse

import sqlalchemy as sa

from tests.browser.helpers import current_query, wait_for_chart
from tests.test_page_algorithm import plain_board, plain_validations

FIRST_LINK = ("#leaderboard-grid .ag-center-cols-container .ag-row[row-index='0'] .ag-cell[col-id='name'] "
              "a.helios-algorithm-link")


def test_hel960_a_leaderboard_name_opens_the_algorithm_page_with_its_numbers(dash_duo, dash_app, app_store):
    leader = plain_board(plain_validations(app_store, "quantum")).iloc[0]  # the plain computation's #1 of Quantum
    rank, best, worst = (int(leader[key]) for key in ("rank", "rank_best", "rank_worst"))
    name = app_store.read(sa.text("SELECT name FROM algorithms WHERE id = :id").bindparams(
        id=leader["algorithm_id"]))["name"].iloc[0]
    dash_duo.start_server(dash_app)
    dash_duo.driver.set_window_size(1280, 1800)
    dash_duo.driver.get(f"{dash_duo.server_url}/leaderboard?domain=quantum&tz=Europe/Paris")
    dash_duo.wait_for_element(FIRST_LINK, timeout=10)
    link = dash_duo.find_element(FIRST_LINK)
    assert link.text == name

    clicked = time.perf_counter()
    link.click()
    dash_duo.wait_for_contains_text("#algorithm-figures", f"{leader['mean_quality']:.1f}", timeout=15)
    wait_for_chart(dash_duo, "algorithm-trend")
    wait_for_chart(dash_duo, "algorithm-ranks")
    drawn = time.perf_counter() - clicked
    print(f"algorithm page: {drawn:.2f} s from the click to both charts drawn")

    assert urlparse(dash_duo.driver.current_url).path == f"/algorithms/{leader['algorithm_id']}"
    assert current_query(dash_duo) == {"domain": ["quantum"], "tz": ["Europe/Paris"]}  # the view travels along
    dash_duo.wait_for_contains_text("#_pages_content", name, timeout=5)  # the page is titled by its name
    figures = dash_duo.find_element("#algorithm-figures").text
    assert f"95% interval {leader['ci_low']:.1f}–{leader['ci_high']:.1f}" in figures
    assert (f"{rank}" if best == worst else f"{rank} ({best}-{worst})") in figures
    assert dash_duo.find_elements("#algorithm-latest tbody tr")
    assert dash_duo.get_logs() == []


def test_hel961_an_unknown_algorithm_is_a_notice(dash_duo, dash_app):
    dash_duo.start_server(dash_app)
    dash_duo.driver.get(f"{dash_duo.server_url}/algorithms/no-such-algorithm")
    dash_duo.wait_for_contains_text("#algorithm-missing", "No algorithm 'no-such-algorithm'", timeout=10)
    assert dash_duo.get_logs() == []
