"""Filters that hold (issue 8): what the user typed or clicked is exactly what the URL and the charts get."""
from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from dash.testing.wait import until
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser.helpers import current_query, wait_for_chart
from tests.browser.test_leaderboard import FIRST_NAME, ROW, board, open_page
from tests.browser.test_trends import chart_traces

START, END = "2026-09-01", "2026-11-30"
PAGES = {"trends": "trends-count", "domains": "domains-chart", "compare": None, "leaderboard": "leaderboard-chart"}


def type_date(dash_duo, input_selector: str, text: str) -> None:
    """Click a date field as a user would, and type over whatever it holds."""
    field = dash_duo.find_element(input_selector)
    field.click()
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(text)


def picker_texts(dash_duo, page: str) -> list[str]:
    """What the date picker's two fields show."""
    return [e.get_attribute("value") for e in dash_duo.find_elements(f"#{page}-dates-wrapper input")]


def validations_between(store, start: str, end: str) -> int:
    """Validations from ``start`` to ``end`` inclusive (UTC days), with plain SQL."""
    return store.scalar(sa.text(
        f"SELECT count(*) FROM validations WHERE created_at >= DATE '{date.fromisoformat(start)}' "
        f"AND created_at < DATE '{date.fromisoformat(end) + timedelta(days=1)}'"))


def open_page_with_dates(dash_duo, page: str) -> None:
    dash_duo.driver.set_window_size(1440, 900)  # the desktop size
    dash_duo.driver.get(f"{dash_duo.server_url}/{page}")
    dash_duo.wait_for_element(f"#{page}-dates")
    if PAGES[page]:
        wait_for_chart(dash_duo, PAGES[page])


def test_hel801_typed_start_commits_when_the_mouse_moves_to_end(dash_duo, dash_app, app_store):
    dash_duo.start_server(dash_app)
    open_page_with_dates(dash_duo, "trends")
    type_date(dash_duo, "#trends-dates", START)
    type_date(dash_duo, "#trends-dates-end-date", END)
    dash_duo.find_element("#trends-dates-end-date").send_keys(Keys.ENTER)
    until(lambda: current_query(dash_duo) == {"start": [START], "end": [END]}, timeout=5,
          msg=f"the URL holds {current_query(dash_duo)}, not both typed dates")
    expected = validations_between(app_store, START, END)
    assert expected > 0  # else an empty chart would pass
    until(lambda: sum(chart_traces(dash_duo, "trends-count")[0]["y"]) == expected, timeout=10,
          msg="the count chart does not cover exactly the typed range")
    dash_duo.find_element("h1").click()  # close the calendar, then open it again: it shows the new start
    dash_duo.find_element("#trends-dates").click()
    dash_duo.wait_for_text_to_equal(".dash-datepicker-calendar-month-header", "September 2026")
    assert dash_duo.get_logs() == []


@pytest.mark.parametrize("page", ["domains", "compare", "leaderboard"])
def test_hel802_typed_dates_commit_on_every_page_when_focus_moves_by_mouse(dash_duo, dash_app, page):
    dash_duo.start_server(dash_app)
    open_page_with_dates(dash_duo, page)
    type_date(dash_duo, f"#{page}-dates", START)
    type_date(dash_duo, f"#{page}-dates-end-date", END)
    dash_duo.find_element("h1").click()  # leave the field by mouse: no Enter, no Tab
    until(lambda: {k: v for k, v in current_query(dash_duo).items() if k in ("start", "end")}
          == {"start": [START], "end": [END]}, timeout=5,
          msg=f"the URL holds {current_query(dash_duo)}, not both typed dates")
    assert dash_duo.get_logs() == []


def test_hel803_sort_then_search_changes_only_sort_and_q(dash_duo, dash_app, app_store):
    dash_duo.start_server(dash_app)
    open_page(dash_duo)
    dash_duo.find_element(".ag-header-cell[col-id='mean_speedup'] .ag-header-cell-label").click()
    until(lambda: current_query(dash_duo) == {"sort": ["mean_speedup:desc"]}, timeout=5, msg="sort not in the URL")
    dash_duo.find_element("#leaderboard-search").send_keys("kem\n")
    until(lambda: "q" in current_query(dash_duo), timeout=5, msg="the search is not in the URL")
    # the period stays open: no dates in the URL nor in the picker
    assert current_query(dash_duo) == {"sort": ["mean_speedup:desc"], "q": ["kem"]}
    assert picker_texts(dash_duo, "leaderboard") == ["", ""]
    ranked = board(app_store)
    fastest = ranked[ranked["name"].str.contains("kem", case=False)].sort_values(
        "mean_speedup", ascending=False).iloc[0]
    dash_duo.wait_for_text_to_equal(FIRST_NAME, fastest["name"], timeout=10)
    assert dash_duo.find_element(ROW.format(0, "mean_speedup")).text == f"{fastest['mean_speedup']:.2f}x"
    assert dash_duo.get_logs() == []


@pytest.mark.parametrize("page", ["trends", "leaderboard"])
def test_hel804_a_range_typed_backwards_gives_the_same_days_without_errors(dash_duo, dash_app, page):
    dash_duo.start_server(dash_app)
    open_page_with_dates(dash_duo, page)
    type_date(dash_duo, f"#{page}-dates", END)
    type_date(dash_duo, f"#{page}-dates-end-date", START)
    dash_duo.find_element("h1").click()
    until(lambda: current_query(dash_duo) == {"start": [START], "end": [END]}, timeout=5,
          msg=f"the URL holds {current_query(dash_duo)}, not the typed days in order")
    until(lambda: picker_texts(dash_duo, page) == [START, END], timeout=5,
          msg=f"the picker shows {picker_texts(dash_duo, page)}, not the URL's range")
    assert dash_duo.get_logs() == []


def test_hel805_a_range_picked_in_the_calendar_by_mouse_reaches_the_url(dash_duo, dash_app):
    dash_duo.start_server(dash_app)
    open_page_with_dates(dash_duo, "trends")
    dash_duo.find_element("#trends-dates").click()
    month = datetime.now(timezone.utc).date().replace(day=1)  # the calendar opens here, not on January 1970
    dash_duo.wait_for_text_to_equal(".dash-datepicker-calendar-month-header", month.strftime("%B %Y"))
    for day in ("1", "15"):
        dash_duo.driver.find_element(
            By.XPATH, f"//td[contains(@class, 'dash-datepicker-calendar-date-inside')][span='{day}']").click()
    until(lambda: current_query(dash_duo) == {"start": [month.isoformat()], "end": [month.replace(day=15).isoformat()]},
          timeout=5, msg=f"the URL holds {current_query(dash_duo)}, not the picked range")
    assert dash_duo.get_logs() == []


def test_hel806_clearing_the_dates_clears_them_from_the_url(dash_duo, dash_app):
    dash_duo.start_server(dash_app)
    dash_duo.driver.set_window_size(1440, 900)
    dash_duo.driver.get(f"{dash_duo.server_url}/trends?start={START}&end={END}")
    wait_for_chart(dash_duo, "trends-count")
    dash_duo.find_element("#trends-dates").click()  # focus in the field: leaving it must not bring the date back
    dash_duo.find_element("#trends-dates-wrapper .dash-datepicker-clear").click()
    until(lambda: current_query(dash_duo) == {}, timeout=5, msg=f"the URL still holds {current_query(dash_duo)}")
    dash_duo.find_element("h1").click()
    time.sleep(0.5)  # a late commit of the old text would show here
    assert current_query(dash_duo) == {}
    assert picker_texts(dash_duo, "trends") == ["", ""]
    assert dash_duo.get_logs() == []
