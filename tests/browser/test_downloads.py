"""Downloads from the pages: the file holds the view on screen, read back with independent readers."""
from __future__ import annotations

import io
import time
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

from tests.browser.test_leaderboard import FIRST_NAME, board


def download(dash_duo, fmt: str, timeout: float = 60) -> Path:
    """Open the page's Download menu, pick ``fmt`` and wait for the finished file."""
    dash_duo.find_element(".dropdown-toggle").click()
    item = next(e for e in dash_duo.find_elements(".dropdown-item") if e.get_attribute("id") and f'"{fmt}"'
                in e.get_attribute("id"))
    item.click()
    folder = Path(dash_duo.download_path)
    deadline = time.time() + timeout
    while time.time() < deadline:
        done = [p for p in folder.glob(f"*.{fmt}")]
        if done and not list(folder.glob("*.crdownload")):
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"no .{fmt} file arrived in {timeout} s")


def open_leaderboard(dash_duo, search: str) -> None:
    dash_duo.driver.set_window_size(1280, 1400)
    dash_duo.driver.get(f"{dash_duo.server_url}/leaderboard{search}")
    dash_duo.wait_for_element(FIRST_NAME, timeout=15)


def test_hel501_csv_of_the_leaderboard_matches_the_screen(dash_duo, dash_app, app_store):
    dash_duo.start_server(dash_app)
    open_leaderboard(dash_duo, "?domain=quantum")
    rows = pd.read_csv(download(dash_duo, "csv"))
    expected = board(app_store, "quantum")
    assert rows["Algorithm"].tolist() == expected["name"].tolist()
    # Sums in another order differ in the last bits: rounding both to 6 places can split a ...5 tie.
    assert rows["Mean quality"].tolist() == pytest.approx(expected["mean_quality"].tolist(), abs=1e-6)
    assert dash_duo.find_element(FIRST_NAME).text == rows["Algorithm"].iloc[0]
    assert dash_duo.get_logs() == []


def test_hel502_pdf_of_the_leaderboard_has_charts_table_and_link(dash_duo, dash_app, app_store):
    dash_duo.start_server(dash_app)
    open_leaderboard(dash_duo, "?domain=quantum")
    pdf = PdfReader(io.BytesIO(download(dash_duo, "pdf").read_bytes()))
    text = "\n".join(page.extract_text() for page in pdf.pages)
    leader = board(app_store, "quantum").iloc[0]
    assert leader["name"] in text and f"{leader['mean_quality']:.1f}" in text
    links = [a.get_object()["/A"]["/URI"] for page in pdf.pages for a in page.get("/Annots", [])
             if "/A" in a.get_object() and "/URI" in a.get_object()["/A"]]
    assert any(link.endswith("/leaderboard?domain=quantum") for link in links)
    assert dash_duo.get_logs() == []
