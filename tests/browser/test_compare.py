"""Compare page in headless Chromium: numbers side by side, URL state, prompts and notices."""
from __future__ import annotations

import time

import pandas as pd
import sqlalchemy as sa
from selenium.webdriver.common.by import By

from tests.browser.helpers import current_query, open_shared_link, wait_for_chart

CHOSEN = ["warm-started-vqe", "code-based-kem", "lattice-based-kem"]
QUALITY_ROW = "Mean quality (95% interval)"


def per_algorithm(store, chosen: list[str]) -> pd.DataFrame:
    """Name, mean quality and count of each chosen algorithm, with plain SQL and pandas."""
    frame = store.read(sa.text(
        "SELECT v.algorithm_id, v.quality, a.name FROM validations v JOIN algorithms a ON a.id = v.algorithm_id"))
    frame = frame[frame["algorithm_id"].isin(chosen)]
    return frame.groupby("algorithm_id").agg(
        name=("name", "first"), mean_quality=("quality", "mean"), validations=("quality", "size")).reindex(chosen)


def metrics_table(dash_duo) -> dict[str, list[str]]:
    """The side-by-side table as {metric: [cell per algorithm]}, plus the header under "Metric"."""
    header = [th.text for th in dash_duo.find_elements("#compare-table thead th")]
    table = {header[0]: header[1:]}
    for row in dash_duo.find_elements("#compare-table tbody tr"):
        table[row.find_element(By.TAG_NAME, "th").text] = [td.text for td in row.find_elements(By.TAG_NAME, "td")]
    return table


def expected_cells(stats: pd.DataFrame) -> dict[str, list[str]]:
    return {"Metric": list(stats["name"]),
            "Validations": [f"{n:,}" for n in stats["validations"]],
            "quality": [f"{q:.1f} [" for q in stats["mean_quality"]]}


def assert_table_matches(dash_duo, stats: pd.DataFrame) -> None:
    table, expected = metrics_table(dash_duo), expected_cells(stats)
    assert table["Metric"] == expected["Metric"]
    assert table["Validations"] == expected["Validations"]
    assert [cell[:len(prefix)] for cell, prefix in zip(table[QUALITY_ROW], expected["quality"])] == expected["quality"]


def wait_for_query(dash_duo, key: str, value: list[str], timeout: float = 5) -> None:
    deadline = time.time() + timeout
    while current_query(dash_duo).get(key) != value and time.time() < deadline:
        time.sleep(0.1)
    assert current_query(dash_duo).get(key) == value


def choose(dash_duo, typed: str, option: str) -> None:
    """Pick ``option`` in the algorithm picker after typing ``typed`` in its search box."""
    if not dash_duo.find_elements(".dash-dropdown-search"):  # the picker stays open between picks
        dash_duo.find_element("#compare-algorithms").click()
    search = dash_duo.find_element(".dash-dropdown-search")
    search.clear()
    search.send_keys(typed)
    for element in dash_duo.find_elements(".dash-dropdown-option"):
        if element.text == option:
            element.click()
            return
    raise AssertionError(f"no option {option!r}")


def test_hel301_compare_shows_true_numbers_and_granularity_goes_to_url(dash_duo, dash_app, app_store):
    dash_duo.start_server(dash_app)
    dash_duo.driver.set_window_size(1280, 1600)
    dash_duo.driver.get(f"{dash_duo.server_url}/compare?algorithms={','.join(CHOSEN)}")
    wait_for_chart(dash_duo, "compare-trends")
    wait_for_chart(dash_duo, "compare-metrics-chart")
    dash_duo.wait_for_element("#compare-table tbody tr", timeout=10)
    assert_table_matches(dash_duo, per_algorithm(app_store, CHOSEN))
    assert len(dash_duo.find_elements("#compare-trends .scatterlayer .trace")) == len(CHOSEN)
    assert len(dash_duo.find_elements("#compare-differences tbody tr")) == 3  # every pair once

    next(e for e in dash_duo.find_elements("#compare-granularity label") if e.text == "Month").click()
    wait_for_query(dash_duo, "granularity", ["month"])
    assert current_query(dash_duo)["algorithms"] == [",".join(CHOSEN)]
    dash_duo.wait_for_contains_text("#compare-trends .gtitle", "per month", timeout=10)
    assert dash_duo.get_logs() == []


def test_hel302_default_prompts_then_choice_goes_to_url_and_url_restores_view(dash_duo, dash_app, app_store):
    dash_duo.start_server(dash_app)
    dash_duo.driver.set_window_size(1280, 1600)
    dash_duo.driver.get(f"{dash_duo.server_url}/compare")
    dash_duo.wait_for_contains_text("#compare-message", "Choose 2 to 8 algorithms", timeout=10)
    wait_for_chart(dash_duo, "compare-trends")  # an empty state, not a blank or broken chart
    assert "Nothing to compare yet" in dash_duo.find_element("#compare-trends").text

    choose(dash_duo, "Warm-Started", "Warm-Started VQE (Quantum)")
    wait_for_query(dash_duo, "algorithms", ["warm-started-vqe"])
    dash_duo.wait_for_contains_text("#compare-message", "(1 chosen)", timeout=10)
    choose(dash_duo, "Code-Based", "Code-Based KEM (Cryptography)")
    wait_for_query(dash_duo, "algorithms", ["warm-started-vqe,code-based-kem"])
    stats = per_algorithm(app_store, CHOSEN[:2])
    dash_duo.wait_for_element("#compare-table tbody tr", timeout=10)
    assert_table_matches(dash_duo, stats)

    shared = dash_duo.driver.current_url
    open_shared_link(dash_duo, shared)  # a fresh browser: only the URL carries the view
    dash_duo.wait_for_element("#compare-table tbody tr", timeout=10)
    assert_table_matches(dash_duo, stats)
    assert dash_duo.get_logs() == []


def test_hel303_unknown_id_is_ignored_with_a_notice(dash_duo, dash_app):
    dash_duo.start_server(dash_app)
    dash_duo.driver.get(f"{dash_duo.server_url}/compare?algorithms=no-such-thing,warm-started-vqe")
    dash_duo.wait_for_contains_text(".alert-warning", "no-such-thing", timeout=10)
    dash_duo.wait_for_contains_text("#compare-message", "(1 chosen)", timeout=10)
    assert "Warm-Started VQE" in dash_duo.find_element("#compare-algorithms").text
    assert not dash_duo.find_elements("#compare-table table")
    assert dash_duo.get_logs() == []
