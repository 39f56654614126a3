"""Domains page in headless Chromium: load, URL state, focusing on a domain."""
from __future__ import annotations

import sqlalchemy as sa
from dash.testing.wait import until
from selenium.common.exceptions import ElementClickInterceptedException, StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains

from tests.browser.helpers import current_query, open_shared_link, wait_for_chart

CHART = "domains-chart"


def stat_selector(domain: str, stat: str) -> str:
    return f"[data-domain='{domain}'] [data-stat='{stat}']"


def domain_counts(store, algorithm_type: str | None = None) -> dict[str, int]:
    """Validations per domain, counted with plain SQL."""
    where = "WHERE a.type = :type" if algorithm_type else ""
    rows = store.read(sa.text(
        f"SELECT a.domain_id, count(*) AS n FROM validations v JOIN algorithms a ON a.id = v.algorithm_id "
        f"{where} GROUP BY a.domain_id").bindparams(**({"type": algorithm_type} if algorithm_type else {})))
    return dict(zip(rows["domain_id"], rows["n"]))


def worst_domain(store) -> str:
    """The domain with the lowest mean quality: the bottom bar of the chart."""
    return store.read(sa.text(
        "SELECT a.domain_id FROM validations v JOIN algorithms a ON a.id = v.algorithm_id "
        "GROUP BY a.domain_id ORDER BY avg(v.quality) LIMIT 1"))["domain_id"][0]


def bar_count(dash_duo) -> int | None:
    """How many bars the chart draws (None before its data arrived)."""
    return dash_duo.driver.execute_script(
        f"const plot = document.querySelector('#{CHART} .js-plotly-plot');"
        "return plot && plot.data && plot.data[0] ? plot.data[0].y.length : null;")


def wait_for_query(dash_duo, key: str, values: list[str]) -> None:
    until(lambda: current_query(dash_duo).get(key) == values, timeout=5, msg=f"URL never got {key}={values}")


def click_when_ready(dash_duo, selector: str) -> None:
    """Click ``selector`` once nothing covers it (a chart drawn late moves the cards down)."""
    def attempt() -> bool:
        try:
            element = dash_duo.find_element(selector)
            # Bootstrap turns on smooth scrolling: WebDriver would click before the scroll ends.
            dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})",
                                           element)
            element.click()
            return True
        except (ElementClickInterceptedException, StaleElementReferenceException):
            return False
    until(attempt, timeout=10, msg=f"{selector} never became clickable")


def test_hel101_domains_draws_chart_and_cards_with_true_numbers(dash_duo, dash_app, app_store):
    dash_duo.start_server(dash_app)
    dash_duo.driver.get(dash_duo.server_url + "/domains")
    wait_for_chart(dash_duo, CHART)
    counts = domain_counts(app_store)
    dash_duo.wait_for_text_to_equal(stat_selector("quantum", "validations"), f"{counts['quantum']:,}", timeout=10)
    until(lambda: bar_count(dash_duo) == len(counts), timeout=5, msg="not one bar per domain")
    assert len(dash_duo.find_elements("[data-domain]")) == len(counts)
    assert dash_duo.get_logs() == []


def test_hel102_type_filter_goes_to_url_and_url_restores_view(dash_duo, dash_app, app_store):
    dash_duo.start_server(dash_app)
    dash_duo.driver.get(dash_duo.server_url + "/domains")
    wait_for_chart(dash_duo, CHART)
    dash_duo.select_dcc_dropdown("#domains-type", value="Novel")
    wait_for_query(dash_duo, "type", ["novel"])
    expected = f"{domain_counts(app_store, 'novel')['optimization']:,}"
    dash_duo.wait_for_text_to_equal(stat_selector("optimization", "validations"), expected, timeout=10)
    shared = dash_duo.driver.current_url
    open_shared_link(dash_duo, shared)  # a fresh browser: only the URL carries the view
    dash_duo.wait_for_text_to_equal(stat_selector("optimization", "validations"), expected, timeout=10)
    assert "Novel" in dash_duo.find_element("#domains-type").text
    assert dash_duo.get_logs() == []


def test_hel103_click_on_a_bar_narrows_the_domain_filter(dash_duo, dash_app, app_store):
    dash_duo.start_server(dash_app)
    dash_duo.driver.get(dash_duo.server_url + "/domains")
    wait_for_chart(dash_duo, CHART)
    bottom_bar = dash_duo.find_elements(f"#{CHART} .trace.bars .point")[0]
    # Plotly listens on its drag layer, above the bar: click at the bar's place, not on the element.
    ActionChains(dash_duo.driver).move_to_element(bottom_bar).click().perform()
    domain = worst_domain(app_store)
    wait_for_query(dash_duo, "domain", [domain])
    until(lambda: len(dash_duo.find_elements("[data-domain]")) == 1, timeout=10, msg="cards not narrowed")
    assert dash_duo.find_element("[data-domain]").get_attribute("data-domain") == domain
    assert dash_duo.get_logs() == []


def test_hel104_card_button_focuses_and_navbar_carries_the_domain(dash_duo, dash_app):
    dash_duo.start_server(dash_app)
    dash_duo.driver.get(dash_duo.server_url + "/domains?type=hybrid")
    wait_for_chart(dash_duo, CHART)
    click_when_ready(dash_duo, "[data-domain='cryptography'] button")
    wait_for_query(dash_duo, "domain", ["cryptography"])
    assert current_query(dash_duo)["type"] == ["hybrid"]  # the other filters stay
    trends_link = dash_duo.find_element("a[href^='/trends']")
    until(lambda: "domain=cryptography" in trends_link.get_attribute("href"), timeout=5,
          msg="the navbar did not carry the domain")
    assert "type=hybrid" in trends_link.get_attribute("href")
    assert dash_duo.get_logs() == []
