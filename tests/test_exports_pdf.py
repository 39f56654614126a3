"""The PDF report, read back with an independent reader (pypdf): text, link, images, tables, errors.

Reports are built by hand, so every expected string is written out here. The
process's one Chromium is started by the first test that draws a chart and reused.
"""
from __future__ import annotations

import os
import signal
from datetime import date, datetime, timezone
from io import BytesIO
from zoneinfo import ZoneInfo

import pandas as pd
import plotly.graph_objects as go
import pytest
from pypdf import PdfReader

from helios_dash.exports import charts
from helios_dash.exports.charts import ChartRenderer, ChartRendererUnavailable, render_chart
from helios_dash.exports.model import Chart, Column, Report, Table
from helios_dash.exports.pdf import to_pdf
from helios_dash.filters import Filters

BERLIN = ZoneInfo("Europe/Berlin")
LINK = "http://127.0.0.1:8050/leaderboard?domain=quantum&type=novel&start=2026-01-01&end=2026-03-31&tz=Europe/Berlin"
FILTERS = Filters(domains=("quantum",), types=("novel",), start=date(2026, 1, 1), end=date(2026, 3, 31),
                  tz="Europe/Berlin")
METADATA = {"Domains": "quantum", "Algorithm types": "novel", "Algorithms": "all",
            "Period": "2026-01-01 to 2026-03-31 (Europe/Berlin)", "Generated": "2026-04-02T09:30:00+02:00",
            "Link": LINK}
SCORES = Table("leaderboard", "Leaderboard", (
    Column("name", "Algorithm"), Column("mean_quality", "Mean quality", "float1"),
    Column("confidence", "Mean confidence", "float2"), Column("success_rate", "Success rate", "percent"),
    Column("mean_speedup", "Mean speedup", "speedup"), Column("tests", "Tests", "int"),
    Column("tied", "Tied with above"), Column("last", "Last validation", "datetime"),
), pd.DataFrame({
    "name": ["Schrödinger–QAOA", "Grover Search"], "mean_quality": [91.25, 55.0], "confidence": [0.8237, None],
    "success_rate": [0.453, 0.0], "mean_speedup": [1.234, 0.5], "tests": [12345, 7], "tied": [False, True],
    # 00:30 UTC is 01:30 CET; 01:30 UTC, just after the clocks went forward, is 03:30 CEST.
    "last": pd.to_datetime(["2026-03-29 00:30", "2026-03-29 01:30"]).tz_localize("UTC"),
}))


def bar_chart(title: str, values: list[float]) -> go.Figure:
    return go.Figure(go.Bar(x=["a", "b", "c"], y=values), layout={"title": {"text": title}, "height": 300})


def make_report(**changes) -> Report:
    fields = dict(
        title="Quantum report: Schrödinger–QAOA ± 1.1 ≈ best", filters=FILTERS,
        generated_at=datetime(2026, 4, 2, 9, 30, tzinfo=BERLIN), link=LINK, tables=(SCORES,),
        charts=(Chart("Mean quality per domain", bar_chart("Mean quality per domain", [1, 3, 2]),
                      "Quantum has the highest mean quality (91.2) of 3 domains."),
                Chart("Validations per week", bar_chart("Weekly", [5, 4, 6]), "3,442 validations per week.")),
        kpis=(("Validations", "3,442"), ("Mean quality", "91.2"), ("Success rate", "45.3%")),
        notes=("Schrödinger–QAOA leads quantum at 91.2 ± 1.1; not significantly ahead of #2.",),
        metadata=METADATA,
    )
    return Report(**{**fields, **changes})


def read(pdf: bytes) -> tuple[PdfReader, list[str]]:
    reader = PdfReader(BytesIO(pdf))
    return reader, [page.extract_text() for page in reader.pages]


@pytest.fixture(scope="module")
def full():
    """The full hand-built report, drawn once for the tests that only read it."""
    return read(to_pdf(make_report()))


def test_pdf_says_what_it_covers_when_and_how_to_reopen_it(full):
    reader, pages = full
    first = pages[0]
    assert reader.pdf_header.startswith("%PDF-")
    assert "Quantum report: Schrödinger–QAOA ± 1.1 ≈ best" in first
    for text in ("quantum", "novel", "Period", "2026-01-01 to 2026-03-31 (Europe/Berlin)",
                 "2026-04-02 09:30:00+02:00 (Europe/Berlin)"):
        assert text in first
    assert LINK in first.replace("\n", "")  # printed in full, wrapped over two lines
    assert f"Page 1 of {len(reader.pages)}" in first
    assert f"Page {len(reader.pages)} of {len(reader.pages)}" in pages[-1]


def test_kpis_notes_and_a_sentence_under_each_chart(full):
    text = "\n".join(full[1])
    for label, value in (("Validations", "3,442"), ("Mean quality", "91.2"), ("Success rate", "45.3%")):
        assert label in text and value in text
    assert "Schrödinger–QAOA leads quantum at 91.2 ± 1.1; not significantly ahead of #2." in text
    for title, sentence in (("Mean quality per domain", "Quantum has the highest mean quality (91.2) of 3 domains."),
                            ("Validations per week", "3,442 validations per week.")):
        assert title in text and sentence in text


def test_link_annotation_reopens_the_view(full):
    reader, _ = full
    uris = [annot.get_object()["/A"]["/URI"] for annot in reader.pages[0]["/Annots"]]
    assert uris and set(uris) == {LINK}


def test_one_embedded_image_per_chart(full):
    reader, _ = full
    assert sum(len(page.images) for page in reader.pages) == 2


def test_table_values_are_formatted_by_column_kind(full):
    text = "\n".join(full[1])
    # float1 91.25 -> "91.2" (a tie, rounded to even); float2 0.8237 -> "0.82"; percent 0.453 -> "45.3%";
    # speedup 1.234 -> "1.23x"; int 12345 -> "12,345"; a missing number -> "–"; booleans -> yes/no.
    for expected in ("91.2", "55.0", "0.82", "45.3%", "0.0%", "1.23x", "0.50x", "12,345", "–", "yes", "no"):
        assert expected in text
    # Times in the report's timezone, each with its own offset (the clocks changed in between).
    assert "2026-03-29 01:30+01:00" in text and "2026-03-29 03:30+02:00" in text
    assert "91.25" not in text and "1.234" not in text


def test_long_table_repeats_its_header_on_every_page():
    rows = pd.DataFrame({"name": [f"algorithm-{n:03d}" for n in range(120)],
                         "quality": [50 + n / 10 for n in range(120)]})
    columns = (Column("name", "Algorithm"), Column("quality", "Mean quality", "float1"))
    table = Table("algorithms", "Algorithms", columns, rows)
    reader, pages = read(to_pdf(make_report(tables=(table,), charts=(), kpis=(), notes=())))
    with_rows = [text for text in pages if "algorithm-" in text]
    assert len(with_rows) >= 2
    assert all("Algorithm" in text and "Mean quality" in text for text in with_rows)
    assert "Algorithms (continued)" in with_rows[1]
    assert all(f"algorithm-{n:03d}" in "\n".join(pages) for n in range(120))
    assert "61.9" in "\n".join(pages)  # the last row: 50 + 119 / 10


def test_long_text_is_cut_to_its_column():
    name = "Quantum " * 60
    table = Table("algorithms", "Algorithms", (Column("name", "Algorithm"), Column("q", "Mean quality", "float1")),
                  pd.DataFrame({"name": [name], "q": [70.04]}))
    _, pages = read(to_pdf(make_report(tables=(table,), charts=(), kpis=(), notes=())))
    text = "\n".join(pages)
    assert "Quantum Quantum" in text and "…" in text and name.strip() not in text
    assert "70.0" in text


def test_report_without_rows_says_so():
    empty = Table("leaderboard", "Leaderboard", SCORES.columns, SCORES.frame.iloc[0:0])
    reader, pages = read(to_pdf(make_report(tables=(empty,), charts=(), kpis=(), notes=())))
    assert "No data: no rows match these filters." in "\n".join(pages)
    reader, pages = read(to_pdf(make_report(tables=(), charts=(), kpis=(), notes=())))
    assert len(reader.pages) == 1 and "No data: no validations match these filters." in pages[0]


def test_missing_chromium_gives_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-chromium"))
    fresh = ChartRenderer()  # not the running one: it would not look for Chromium again
    monkeypatch.setattr(charts, "current_renderer", lambda: fresh)
    with pytest.raises(ChartRendererUnavailable) as raised:
        to_pdf(make_report())
    assert raised.value.code == "CHART_RENDERER_UNAVAILABLE" and raised.value.http_status == 503
    assert "apt-get install -y chromium" in raised.value.message


def test_the_browser_is_reused_and_replaced_when_it_dies():
    figure = bar_chart("Reuse", [1, 2, 3])
    assert render_chart(figure, 400, 300, "png").startswith(b"\x89PNG")
    browser = charts.current_renderer()._kaleido
    assert render_chart(figure, 400, 300, "svg").startswith(b"<svg")
    assert charts.current_renderer()._kaleido is browser  # the same Chromium drew both
    os.killpg(browser.subprocess.pid, signal.SIGKILL)  # Chromium crashed, or the OOM killer struck
    assert render_chart(figure, 400, 300, "png").startswith(b"\x89PNG")
    assert charts.current_renderer()._kaleido is not browser


def test_generation_time_in_utc_names_utc():
    report = make_report(filters=Filters(), generated_at=datetime(2026, 4, 2, 7, 30, tzinfo=timezone.utc),
                         charts=(), metadata={})
    _, pages = read(to_pdf(report))
    assert "2026-04-02 07:30:00+00:00 (UTC)" in pages[0] and LINK in pages[0].replace("\n", "")


def test_a_note_that_is_a_charts_summary_is_printed_once():
    summary = "3,442 validations per week."
    _, pages = read(to_pdf(make_report(notes=(summary, "Only a note."), tables=())))
    text = " ".join(" ".join(pages).split())  # extracted lines wrap; compare on single spaces
    assert text.count(summary) == 1 and "Only a note." in text


def test_a_page_that_never_loaded_kaleido_is_replaced_and_the_render_retried(monkeypatch):
    from kaleido._kaleido_tab._errors import JavascriptError

    renderer, calls, stops = ChartRenderer(), [], []
    answers = [JavascriptError("ReferenceError: kaleido_scopes is not defined"), b"\x89PNG drawn"]

    def render_once(_figure, _opts):
        calls.append(1)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(renderer, "_render", render_once)
    monkeypatch.setattr(renderer, "_stop", lambda: stops.append(1))
    assert renderer.render(bar_chart("Retry", [1]), 400, 300) == b"\x89PNG drawn"
    assert len(calls) == 2 and len(stops) == 1
    other = JavascriptError("TypeError: the figure is wrong")  # a real drawing error is not retried
    monkeypatch.setattr(renderer, "_render", lambda *_: (_ for _ in ()).throw(other))
    with pytest.raises(JavascriptError):
        renderer.render(bar_chart("Broken", [1]), 400, 300)
