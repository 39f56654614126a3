"""Each page's Download (and its API twin) against plain SQL and pandas over the store (issue 8, items 3-6).

Expected numbers never come from the services: they are recomputed here from the
``validations`` table. Files are read back with independent readers (csv via pandas,
openpyxl, json, pypdf).
"""
from __future__ import annotations

import base64
import io
import json
import re
from datetime import date, datetime, timedelta, timezone

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa
from pypdf import PdfReader
from pypdf.generic import ContentStream

MM = 72 / 25.4  # PDF points per millimetre
MARGIN_MM = 15  # the report's page margin


# -- helpers -----------------------------------------------------------------------------------
def download(dash_app, page: str, fmt: str, view: dict) -> bytes:
    """The bytes the page's Download menu sends for ``view``."""
    from helios_dash.pages._downloads import export_page

    with dash_app.server.test_request_context():
        data, message = export_page(page, fmt, view)
    assert message == "", message
    return base64.b64decode(data["content"])


def post(dash_app, kind: str, body: dict) -> bytes:
    response = dash_app.server.test_client().post(f"/api/v1/export/{kind}", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data()


def validations(store, start: date | None = None, end: date | None = None, domain: str | None = None):
    """Every validation (UTC) of a domain and an inclusive day range, with names and domains."""
    frame = store.read(sa.text(
        "SELECT v.algorithm_id, a.name, v.domain_id, d.name AS domain, a.type, v.quality, v.speedup, v.tests, "
        "v.created_at FROM validations v JOIN algorithms a ON a.id = v.algorithm_id "
        "JOIN domains d ON d.id = v.domain_id"))
    when = pd.to_datetime(frame["created_at"], utc=True)
    keep = pd.Series(True, index=frame.index)
    if start:
        keep &= when >= pd.Timestamp(start, tz="UTC")
    if end:
        keep &= when < pd.Timestamp(end + timedelta(days=1), tz="UTC")
    if domain:
        keep &= frame["domain_id"] == domain
    return frame[keep].assign(created_at=when[keep])


def key_figures(rows: pd.DataFrame) -> dict[str, float | None]:
    """Validations, mean quality, success rate (in percent) and best speedup of ``rows``."""
    if rows.empty:
        return {"Validations": 0, "Mean quality": None, "Success rate (quality > 70)": None, "Best speedup": None}
    return {"Validations": len(rows), "Mean quality": rows["quality"].mean(),
            "Success rate (quality > 70)": (rows["quality"] > 70).mean() * 100, "Best speedup": rows["speedup"].max()}


def assert_figures(table: pd.DataFrame, current: dict, previous: dict) -> None:
    """A key-figures table (Key figure, Value, Previous value, Change) holds ``current`` against ``previous``."""
    by_name = table.set_index("Key figure")
    for name, value in current.items():
        row = by_name.loc[name]
        for got, want in ((row["Value"], value), (row["Previous value"], previous[name])):
            assert (pd.isna(got) if want is None else got == pytest.approx(want)), (name, got, want)
        if value is not None and previous[name] is not None:
            assert row["Change"] == pytest.approx(value - previous[name]), name


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def month_to_date(today: date) -> tuple[tuple[date, date], tuple[date, date]]:
    """This month up to today and the same days of last month, written out independently."""
    previous_end = today.replace(day=1) - timedelta(days=1)
    return (today.replace(day=1), today), (previous_end.replace(day=1), previous_end.replace(day=min(today.day, previous_end.day)))


# -- item 3: the Overview ------------------------------------------------------------------------
def test_overview_csv_holds_key_figures_against_the_comparison_period(dash_app, settled):
    today = datetime.now(timezone.utc).date()
    (start, end), (before_start, before_end) = month_to_date(today)
    table = pd.read_csv(io.BytesIO(download(dash_app, "overview", "csv", {"domain": ["quantum"]})))
    assert list(table.columns) == ["Key figure", "Unit", "Period", "Value", "Compared with", "Previous value",
                                   "Change"]
    assert_figures(table, key_figures(validations(settled, start, end, "quantum")),
                   key_figures(validations(settled, before_start, before_end, "quantum")))


def test_overview_xlsx_json_and_pdf_carry_the_key_figures_and_the_90_day_chart(dash_app, settled):
    today = datetime.now(timezone.utc).date()
    (start, end), (before_start, before_end) = month_to_date(today)
    current = key_figures(validations(settled, start, end, "quantum"))
    previous = key_figures(validations(settled, before_start, before_end, "quantum"))
    view = {"domain": ["quantum"]}

    book = openpyxl.load_workbook(io.BytesIO(download(dash_app, "overview", "xlsx", view)))
    assert "Key figures" in book.sheetnames
    rows = list(book["Key figures"].values)
    assert_figures(pd.DataFrame(rows[1:], columns=rows[0]), current, previous)

    data = json.loads(download(dash_app, "overview", "json", view))["data"]
    records = pd.DataFrame(data["key_figures"]).rename(columns={
        "key_figure": "Key figure", "value": "Value", "previous_value": "Previous value", "change": "Change"})
    assert_figures(records, current, previous)
    recent = validations(settled, today - timedelta(days=89), today, "quantum")
    assert sum(r["validations"] for r in data["recent"]) == len(recent)

    pdf = download(dash_app, "overview", "pdf", view)
    text = pdf_text(pdf)
    assert "Key figures" in text and "Compared with" in text and f"{current['Validations']:,}" in text
    assert "Mean quality per day, last 90 days" in text
    assert f"{len(recent):,} validations" in text  # the chart's sentence, with the true count
    assert sum(len(page.images) for page in PdfReader(io.BytesIO(pdf)).pages) >= 1


# -- item 6: key figures follow the report's period ----------------------------------------------
def test_report_key_figures_use_the_reports_period(dash_app, settled):
    body = {"format": "json", "include": ["kpis", "metadata"], "filters": {"start": "2020-01-01", "end": "2020-12-31"}}
    data = json.loads(post(dash_app, "report", body))["data"]
    assert {k["label"]: k["value"] for k in data["kpis"]}["Validations"] == "0"
    assert [r["value"] for r in data["key_figures"]][0] == 0

    end = datetime.now(timezone.utc).date() - timedelta(days=20)  # inside the demo data
    start = end - timedelta(days=29)
    body = {"format": "csv", "include": ["kpis"], "filters": {"domain": "quantum", "start": start.isoformat(),
                                                              "end": end.isoformat()}}
    table = pd.read_csv(io.BytesIO(post(dash_app, "report", body)))
    assert_figures(table, key_figures(validations(settled, start, end, "quantum")),
                   key_figures(validations(settled, start - timedelta(days=30), start - timedelta(days=1),
                                           "quantum")))


def test_report_pdf_key_figures_follow_the_period(dash_app, settled):
    end = datetime.now(timezone.utc).date() - timedelta(days=20)
    start = end - timedelta(days=6)
    rows = validations(settled, start, end)
    body = {"format": "pdf", "include": ["kpis", "metadata"], "filters": {"start": start.isoformat(),
                                                                         "end": end.isoformat()}}
    text = pdf_text(post(dash_app, "report", body))
    cards = text[text.index("Key figures"):]
    assert f"Validations\n{len(rows):,}\n" in cards
    assert f"{rows['quality'].mean():.1f}" in cards


# -- item 4: Trends follow split and rolling ----------------------------------------------------
TRENDS_VIEW = {"granularity": ["month"], "split": ["domain"], "rolling": ["3"]}


def monthly_by_domain(store) -> pd.DataFrame:
    rows = validations(store)
    rows["month"] = rows["created_at"].dt.tz_localize(None).dt.to_period("M").dt.start_time
    return rows.groupby(["month", "domain"]).agg(validations=("quality", "size"), mean_quality=("quality", "mean"))


def test_trends_csv_and_xlsx_have_one_series_per_domain_with_its_rolling_mean(dash_app, settled):
    expected = monthly_by_domain(settled)
    table = pd.read_csv(io.BytesIO(download(dash_app, "trends", "csv", TRENDS_VIEW)))
    assert set(table["Series"]) == set(expected.index.get_level_values("domain"))
    shown = table[table["Validations"] > 0].set_index([pd.to_datetime(table["Period start"]), "Series"])
    got = shown.loc[expected.index]
    assert got["Validations"].tolist() == expected["validations"].tolist()
    assert got["Mean quality"].tolist() == pytest.approx(expected["mean_quality"].tolist())
    # The rolling mean of a domain over 3 months, weighted by counts, recomputed from the raw rows.
    domain = expected.index.get_level_values("domain")[0]
    one = expected.xs(domain, level="domain")
    sums = (one["mean_quality"] * one["validations"]).rolling(3, min_periods=1).sum()
    rolled = (sums / one["validations"].rolling(3, min_periods=1).sum()).iloc[-1]
    last = table[table["Series"] == domain].iloc[-1]
    assert last["Rolling mean quality"] == pytest.approx(rolled)

    book = openpyxl.load_workbook(io.BytesIO(download(dash_app, "trends", "xlsx", TRENDS_VIEW)))
    rows = list(book["Trends"].values)
    assert set(pd.DataFrame(rows[1:], columns=rows[0])["Series"]) == set(table["Series"])


def test_trends_pdf_keeps_split_and_rolling_and_states_true_figures(dash_app, settled):
    expected = monthly_by_domain(settled)
    total = int(expected["validations"].sum())
    months = expected.index.get_level_values("month").nunique()
    pdf = download(dash_app, "trends", "pdf", TRENDS_VIEW)
    text = pdf_text(pdf).replace("\n", " ")
    reader = PdfReader(io.BytesIO(pdf))
    links = [a.get_object()["/A"]["/URI"] for page in reader.pages for a in page.get("/Annots", [])
             if "/A" in a.get_object()]
    assert any("split=domain" in link and "rolling=3" in link and "granularity=month" in link for link in links)
    assert f"{total:,} validations over {months} months, {total / months:,.0f} per month on average" in text
    assert f"{total:,} validations per month" not in text
    for name in set(expected.index.get_level_values("domain")):
        assert name in text


def test_trends_api_twin_follows_split_and_rolling(dash_app, settled):
    body = {"format": "json", "filters": {"granularity": "month"}, "options": {"split": "type", "rolling": 3}}
    records = json.loads(post(dash_app, "trends", body))["data"]["trends"]
    types = validations(settled)["type"].str.capitalize()
    assert {r["series"] for r in records} == set(types)
    assert sum(r["validations"] for r in records) == len(types)
    assert all("rolling_quality" in r for r in records)


# -- item 5: Compare ------------------------------------------------------------------------------
def chosen(store, count: int = 3) -> pd.DataFrame:
    """``count`` algorithms of different domains with many validations, and their plain statistics."""
    rows = validations(store)
    stats = rows.groupby(["algorithm_id", "name"], as_index=False).agg(
        n=("quality", "size"), mean=("quality", "mean"), sd=("quality", "std"), domain=("domain_id", "first"))
    return stats.sort_values("n", ascending=False).drop_duplicates("domain").head(count).reset_index(drop=True)


def test_compare_pdf_holds_differences_and_intervals_by_name(dash_app, settled):
    algorithms = chosen(settled)
    view = {"algorithms": [",".join(algorithms["algorithm_id"])]}
    pdf = download(dash_app, "compare", "pdf", view)
    text = pdf_text(pdf)
    assert "Significant?" in text and "Mean quality with 95% interval" in text
    for name in algorithms["name"]:
        assert name in text
    a, b = algorithms.iloc[0], algorithms.iloc[1]
    assert f"{a['mean'] - b['mean']:+.1f}".lstrip("+") in text
    assert sum(len(page.images) for page in PdfReader(io.BytesIO(pdf)).pages) == 2  # intervals, trends
    assert algorithms["algorithm_id"].iloc[0] not in text.split("Link")[0]  # named, not by id, in the header


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_compare_differences_by_name_in_every_table_format(dash_app, settled, fmt):
    algorithms = chosen(settled)
    view = {"algorithms": [",".join(algorithms["algorithm_id"])]}
    content = download(dash_app, "compare", fmt, view)
    if fmt == "csv":
        table = pd.read_csv(io.BytesIO(content))
    elif fmt == "xlsx":
        book = openpyxl.load_workbook(io.BytesIO(content))
        assert "Side by side" in book.sheetnames
        rows = list(book["Differences"].values)
        table = pd.DataFrame(rows[1:], columns=rows[0])
    else:
        data = json.loads(content)["data"]
        assert [r["name"] for r in data["comparison"]] == algorithms["name"].tolist()
        table = pd.DataFrame(data["differences"]).rename(columns={
            "name_a": "A", "name_b": "B", "mean_quality_diff": "Quality difference (A − B)",
            "significant": "Significant?"})
    assert len(table) == 3
    for row in table.itertuples(index=False):
        a = algorithms.set_index("name").loc[row[0]]
        b = algorithms.set_index("name").loc[row[1]]
        assert row[2] == pytest.approx(a["mean"] - b["mean"])
        half = 1.959963984540054 * (a["sd"] ** 2 / a["n"] + b["sd"] ** 2 / b["n"]) ** 0.5
        assert table.set_index(["A", "B"]).loc[(row[0], row[1]), "Significant?"] == (
            "yes" if abs(a["mean"] - b["mean"]) > half else "no")


# -- PDF layout: no lone chart that would have fitted on the page before ---------------------------
def page_layout(reader: PdfReader) -> list[dict]:
    """Per page: image boxes (bottom, height in pt) and the lowest text above the footer."""
    pages = []
    for page in reader.pages:
        matrix, images = None, []
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator == b"cm":
                matrix = [float(x) for x in operands]
            elif operator == b"Do" and matrix:
                images.append((matrix[5], matrix[3]))
        texts = []
        page.extract_text(visitor_text=lambda text, cm, tm, *_: texts.append(cm[5] + tm[5]) if text.strip() else None)
        body = [y for y in texts if y > MARGIN_MM * MM] + [bottom for bottom, _ in images]
        pages.append({"images": images, "lowest": min(body) if body else float(page.mediabox.height),
                      "top": float(page.mediabox.height)})
    return pages


@pytest.mark.parametrize("page, view", [
    ("overview", {}), ("trends", TRENDS_VIEW), ("trends", {"granularity": ["week"]}), ("domains", {}),
    ("leaderboard", {"domain": ["quantum"]}),
])
def test_no_chart_starts_a_page_when_it_fitted_on_the_one_before(dash_app, settled, page, view):
    pages = page_layout(PdfReader(io.BytesIO(download(dash_app, page, "pdf", view))))
    assert any(p["images"] for p in pages)
    for before, current in zip(pages, pages[1:]):
        for bottom, height in current["images"]:
            free = before["lowest"] - MARGIN_MM * MM
            assert not (starts_page((bottom, height), current) and free > height + 22 * MM), (free / MM, height / MM)


def starts_page(image: tuple[float, float], layout: dict) -> bool:
    """Whether the chart is the first thing on its page (only its heading above it)."""
    bottom, height = image
    return bottom + height > layout["top"] - (MARGIN_MM + 25) * MM


@pytest.mark.parametrize("page, view", [
    ("overview", {}), ("trends", TRENDS_VIEW), ("domains", {}), ("leaderboard", {"domain": ["quantum"]}),
    ("compare", "three"), ("api:report", {"format": "pdf"}),
    ("api:report", {"format": "pdf", "include": ["statistics", "trends", "leaderboard"]}),
])
def test_no_page_but_the_last_holds_a_lone_chart_above_empty_space(dash_app, settled, page, view):
    if view == "three":
        view = {"algorithms": [",".join(chosen(settled)["algorithm_id"])]}
    pdf = post(dash_app, page[4:], view) if page.startswith("api:") else download(dash_app, page, "pdf", view)
    pages = page_layout(PdfReader(io.BytesIO(pdf)))
    for number, layout in enumerate(pages[:-1], start=1):
        if number > 1 and layout["images"] and starts_page(layout["images"][0], layout):
            empty = layout["lowest"] - MARGIN_MM * MM
            assert empty < layout["top"] / 3, f"page {number}: {empty / MM:.0f} mm empty below its chart"


# -- the view's options, checked like every other field ------------------------------------------
@pytest.mark.parametrize("options, field", [
    ({"split": "colour"}, "options.split"), ({"rolling": 1}, "options.rolling"), ({"rolling": "3"}, "options.rolling"),
    ({"rolling": True}, "options.rolling"), ({"split": ["domain"]}, "options.split"),
])
def test_bad_split_or_rolling_is_a_bad_request_naming_the_field(dash_app, options, field):
    response = dash_app.server.test_client().post("/api/v1/export/trends", json={"format": "json", "options": options})
    assert response.status_code == 400
    assert field in {d["field"] for d in response.get_json()["error"]["details"]}


def test_page_view_options_drop_what_the_page_ignores():
    from helios_dash.reports.config import parse_view_options

    assert parse_view_options({"split": ["type"], "rolling": ["12"]}) == ("type", 12)
    assert parse_view_options({"split": "none", "rolling": "off"}) == (None, None)
    assert parse_view_options({"split": ["colour"], "rolling": ["61"]}) == (None, None)
    assert parse_view_options({"rolling": ["²"]}) == (None, None)


def test_comparison_spans_a_custom_range_against_as_many_days_before():
    from helios_dash.filters import Filters
    from helios_dash.services.overview import comparison_spans

    today = date(2026, 12, 1)
    assert comparison_spans(Filters(start=date(2020, 1, 1), end=date(2020, 12, 31)), today) == {
        "current": (date(2020, 1, 1), date(2020, 12, 31)), "previous": (date(2019, 1, 1), date(2019, 12, 31))}
    assert comparison_spans(Filters(start=date(2026, 11, 25)), today) == {
        "current": (date(2026, 11, 25), today), "previous": (date(2026, 11, 18), date(2026, 11, 24))}
    assert comparison_spans(Filters(end=date(2026, 3, 31)), today)["previous"] == (date(2026, 2, 1), date(2026, 2, 28))
    assert comparison_spans(Filters(), today) == {"current": (today, today),
                                                  "previous": (date(2026, 11, 1), date(2026, 11, 1))}
    assert comparison_spans(Filters(start=date(2026, 2, 1), end=date(2026, 3, 31)), today)["previous"] == (
        date(2025, 12, 1), date(2026, 1, 31))


@pytest.mark.parametrize("filters", [{"start": "1970-01-01", "end": "2199-12-31"}, {"end": "1970-01-01"}])
def test_key_figures_at_the_first_day_a_view_can_name(dash_app, settled, filters):
    data = json.loads(post(dash_app, "report", {"format": "json", "include": ["kpis"], "filters": filters}))["data"]
    validations_row = data["key_figures"][0]
    assert validations_row["previous_value"] == 0
    assert validations_row["value"] == (len(validations(settled)) if "start" in filters else 0)


# -- the leaderboard's rank ranges (issue 8, item 18, computed in services/leaderboard.py) --------
def test_leaderboard_csv_carries_each_rank_range(dash_app, settled):
    board = pd.read_csv(io.BytesIO(download(dash_app, "leaderboard", "csv", {"domain": ["quantum"]})))
    rated = board.dropna(subset=["95% CI low"])
    assert len(rated) > 10
    for row in rated.itertuples(index=False):
        low, high = row[board.columns.get_loc("95% CI low")], row[board.columns.get_loc("95% CI high")]
        above = (rated["95% CI low"] > high).sum()  # intervals entirely above this one
        not_below = (rated["95% CI high"] >= low).sum()  # intervals not entirely below (itself included)
        best, worst = row[board.columns.get_loc("Best possible rank")], row[board.columns.get_loc("Worst possible rank")]
        assert (best, worst) == (1 + above, not_below)
