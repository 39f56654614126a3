"""CSV, XLSX and JSON exports of hand-built reports, read back with independent readers.

No app and no store: the renderers are pure functions of a ``Report``. Every expected
value below is written out by hand (Paris is UTC+1 in March, UTC+2 in July).
"""
from __future__ import annotations

import io
import json
import re
import tracemalloc
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import openpyxl
import pandas as pd
import pytest

from helios_dash.errors import BadRequest
from helios_dash.exports import xlsx
from helios_dash.exports.cells import neutralise, sheet_name
from helios_dash.exports.csv import iter_csv_records, to_csv
from helios_dash.exports.json import to_json
from helios_dash.exports.model import Column, Report, Table
from helios_dash.exports.xlsx import to_xlsx
from helios_dash.filters import Filters
from helios_dash.domain.records import RECORD_COLUMNS

TZ = "Europe/Paris"
LINK = "http://localhost:8050/leaderboard?domain=quantum&tz=Europe/Paris"
COLUMNS = (
    Column("name", "Algorithm"), Column("quality", "Mean quality", "float1"),
    Column("confidence", "Mean confidence", "float2"), Column("tests", "Tests", "int"),
    Column("rank_change", "Rank change", "int"), Column("success_rate", "Success rate", "percent"),
    Column("speedup", "Mean speedup", "speedup"), Column("first", "First validation", "datetime"),
    Column("period", "Period start", "date"), Column("tied", "Tied with above"),
)
HEADERS = [c.header for c in COLUMNS]
STATS = (Column("domain", "Domain"), Column("validations", "Validations", "int"))
LONG_TITLE = "Domain statistics: quantum/optimisation [all]"
CORPUS = ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "\t=1", "\r=1", '=HYPERLINK("http://x")']


def algorithms_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "name": ["Schrödinger–QAOA ü", "Adaptive QAOA", None],
        "quality": [91.25, -12.5, np.nan],
        "confidence": [0.875, 0.0, 0.30000000000000004],  # 0.1 + 0.2: must survive to the last digit
        "tests": [14, 0, 3],
        "rank_change": pd.array([2, None, -1], dtype="Int64"),
        "success_rate": [0.25, 1.0, np.nan],
        "speedup": [3.2, 0.75, 1.5],
        "first": pd.to_datetime(["2026-03-01T09:00:00Z", "2026-07-01T22:30:00Z", None], utc=True),
        "period": pd.to_datetime(["2026-02-23", "2026-03-02", None]),  # naive local period starts, as trends has
        "tied": [True, False, True],
    })


def make_report(frame: pd.DataFrame | None = None, columns=COLUMNS, stats: pd.DataFrame | None = None) -> Report:
    frame = algorithms_frame() if frame is None else frame
    stats = pd.DataFrame({"domain": ["Quantum"], "validations": [7]}) if stats is None else stats
    return Report(
        title="Quantum report", filters=Filters(domains=("quantum",), tz=TZ),
        generated_at=datetime(2026, 3, 1, 10, 0, tzinfo=ZoneInfo(TZ)), link=LINK,
        tables=(Table("algorithms", "Algorithms", columns, frame), Table("statistics", LONG_TITLE, STATS, stats)),
        kpis=(("Mean quality", "91.2"), ("Success rate", "25.0%")),
        notes=("Schrödinger–QAOA ü leads quantum at 91.2.",),
        metadata={"Domains": "quantum", "Period": "all validations (Europe/Paris)",
                  "Generated": "2026-03-01T10:00:00+01:00", "Link": LINK},
    )


def injection_report(payload: str) -> Report:
    columns = (Column("label", payload), Column("value", "Value", "float1"))
    frame = pd.DataFrame({"label": [payload, "-12.5"], "value": [-12.5, 0.0]})
    return make_report(frame, columns)


def read_csv(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), encoding="utf-8")


def read_xlsx(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


# -- CSV ----------------------------------------------------------------------------
def test_csv_reads_back_with_plain_numbers_and_instants_in_the_report_timezone():
    data = to_csv(make_report())
    df = read_csv(data)
    assert list(df.columns) == HEADERS
    assert df["Algorithm"].tolist()[:2] == ["Schrödinger–QAOA ü", "Adaptive QAOA"]
    assert df["Mean quality"].tolist()[:2] == [91.25, -12.5] and np.isnan(df["Mean quality"][2])
    assert df["Mean confidence"].tolist() == [0.875, 0.0, 0.30000000000000004]
    assert df["Tests"].tolist() == [14, 0, 3] and df["Tests"].dtype == np.int64
    assert df["Rank change"].tolist()[0::2] == [2, -1] and np.isnan(df["Rank change"][1])
    assert df["Success rate"].tolist()[:2] == [0.25, 1.0]  # fractions, not "25%"
    assert df["Mean speedup"].tolist() == [3.2, 0.75, 1.5]  # not "3.20x"
    assert df["First validation"].tolist()[:2] == ["2026-03-01T10:00:00+01:00", "2026-07-02T00:30:00+02:00"]
    instants = pd.to_datetime(df["First validation"], utc=True)
    assert instants.tolist()[:2] == [pd.Timestamp("2026-03-01T09:00Z"), pd.Timestamp("2026-07-01T22:30Z")]
    assert df["Period start"].tolist()[:2] == ["2026-02-23", "2026-03-02"]
    assert df["Tied with above"].tolist() == [True, False, True]


def test_csv_is_utf8_without_bom_one_line_per_row():
    data = to_csv(make_report())
    assert data.startswith(b'"Algorithm",')
    assert "Schrödinger–QAOA ü" in data.decode("utf-8")
    assert data.count(b"\n") == 4 and data.endswith(b"\n")


def test_csv_section_is_chosen_by_name():
    df = read_csv(to_csv(make_report(), section="statistics"))
    assert df.to_dict("records") == [{"Domain": "Quantum", "Validations": 7}]


def test_csv_unknown_section_is_a_bad_request_naming_the_sections():
    with pytest.raises(BadRequest, match="algorithms, statistics"):
        to_csv(make_report(), section="trends")


def test_csv_of_no_matching_data_is_the_header_only():
    data = to_csv(make_report(algorithms_frame().iloc[0:0]))
    df = read_csv(data)
    assert list(df.columns) == HEADERS and len(df) == 0
    assert data.count(b"\n") == 1


@pytest.mark.parametrize("payload", CORPUS)
def test_csv_neutralises_formulas_in_text_and_headers_but_not_numbers(payload):
    df = pd.read_csv(io.BytesIO(to_csv(injection_report(payload))), dtype={0: str})
    assert df.columns[0] == "'" + payload
    assert df.iloc[:, 0].tolist() == ["'" + payload, "'-12.5"]  # "-12.5" is text here, so it is quoted
    assert df["Value"].tolist() == [-12.5, 0.0] and df["Value"].dtype == np.float64


# -- streamed records ---------------------------------------------------------------
def record_batches(rows: int, batch_rows: int):
    """Validation records made on demand: id i at 2026-01-01 + i seconds, quality (i % 1000) / 10, tests i % 50."""
    start = pd.Timestamp("2026-01-01", tz="UTC")
    for first in range(0, rows, batch_rows):
        ids = np.arange(first, min(first + batch_rows, rows))
        yield pd.DataFrame({
            "id": ids, "created_at": start + pd.to_timedelta(ids, unit="s"),
            "algorithm_id": "adaptive-qaoa", "algorithm": "Schrödinger–QAOA ü", "domain_id": "quantum",
            "domain": "Quantum", "quality": (ids % 1000) / 10, "confidence": 0.5, "speedup": 1.25,
            "tests": (ids % 50).astype("int32"), "validator": "=cmd", "hypothesis_id": None,
        })


def test_streamed_records_read_back_with_offsets_and_safe_text():
    chunks = list(iter_csv_records(record_batches(3, 2), "Asia/Tokyo"))
    assert len(chunks) == 3  # the header, then one chunk per batch
    df = read_csv(b"".join(chunks))
    assert list(df.columns) == RECORD_COLUMNS
    assert df["created_at"].tolist() == ["2026-01-01T09:00:00+09:00", "2026-01-01T09:00:01+09:00",
                                         "2026-01-01T09:00:02+09:00"]
    assert df["quality"].tolist() == [0.0, 0.1, 0.2] and df["tests"].tolist() == [0, 1, 2]
    assert df["validator"].tolist() == ["'=cmd"] * 3 and df["hypothesis_id"].isna().all()


def test_streamed_records_pull_one_batch_at_a_time():
    pulled = []

    def batches():
        for frame in record_batches(30, 10):
            pulled.append(len(frame))
            yield frame

    stream = iter_csv_records(batches(), "UTC")
    next(stream), next(stream)
    assert pulled == [10]


def test_streamed_records_of_no_matching_data_are_the_header_only():
    assert b"".join(iter_csv_records([], "UTC")) == (",".join(RECORD_COLUMNS) + "\n").encode()


@pytest.mark.slow
def test_a_million_records_stream_in_bounded_memory(tmp_path):
    """Peak traced memory (Python and NumPy heaps, where each row's text lives) stays far below the file.

    Arrow's own buffers are not traced; bench/exports.py measures the whole process's
    resident memory instead.
    """
    path = tmp_path / "records.csv"
    tracemalloc.start()
    try:
        with path.open("wb") as out:
            for chunk in iter_csv_records(record_batches(1_000_000, 100_000), TZ):
                out.write(chunk)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    size = path.stat().st_size
    assert peak < size / 4, f"peak {peak / 1e6:.0f} MB for a {size / 1e6:.0f} MB file"
    df = pd.read_csv(path, usecols=["id", "created_at", "quality", "tests"])
    assert len(df) == 1_000_000 and df["id"].is_monotonic_increasing and df["id"].iloc[-1] == 999_999
    assert df["tests"].sum() == 20_000 * sum(range(50))  # 24,500,000
    assert df["quality"].sum() == pytest.approx(1000 * sum(range(1000)) / 10, rel=1e-12)  # 49,950,000
    # 999,999 s after 2026-01-01T00:00Z is 2026-01-12T13:46:39Z: 14:46:39 in Paris (UTC+1).
    assert df["created_at"].iloc[-1] == "2026-01-12T14:46:39+01:00"


# -- XLSX ---------------------------------------------------------------------------
def test_xlsx_has_one_sheet_per_table_with_legal_unique_names_then_metadata():
    book = read_xlsx(to_xlsx(make_report()))
    assert book.sheetnames == ["Algorithms", "Domain statistics  quantum opti", "Metadata"]
    assert sheet_name("Algorithms", {"algorithms"}) == "Algorithms (2)"
    assert sheet_name("Metadata" + "x" * 40, {"metadata" + "x" * 23}) == "Metadata" + "x" * 19 + " (2)"


def test_xlsx_header_is_bold_frozen_filtered_and_names_the_timezone():
    sheet = read_xlsx(to_xlsx(make_report()))["Algorithms"]
    header = [cell.value for cell in sheet[1]]
    assert header == HEADERS[:7] + ["First validation (Europe/Paris)"] + HEADERS[8:]
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:J4"
    assert sheet.column_dimensions["A"].width >= len("Schrödinger–QAOA ü")


def test_xlsx_cells_are_typed_with_number_formats_per_kind():
    sheet = read_xlsx(to_xlsx(make_report()))["Algorithms"]
    first, second, third = ([cell for cell in row] for row in sheet.iter_rows(min_row=2))
    assert [c.value for c in first[:7]] == ["Schrödinger–QAOA ü", 91.25, 0.875, 14, 2, 0.25, 3.2]
    assert [c.data_type for c in first[1:7]] == ["n"] * 6
    assert [c.number_format for c in first[1:7]] == ["0.0", "0.00", "#,##0", "#,##0", "0.0%", '0.00"x"']
    # Excel has no timezone: wall-clock time in Paris, across the July midnight.
    assert first[7].value == datetime(2026, 3, 1, 10, 0) and second[7].value == datetime(2026, 7, 2, 0, 30)
    assert first[8].value == datetime(2026, 2, 23) and first[8].number_format == "yyyy-mm-dd"
    assert (first[9].value, first[9].data_type, second[9].value) == (True, "b", False)
    assert second[1].value == -12.5 and second[4].value is None
    assert [third[i].value for i in (0, 1, 5, 7, 8)] == [None] * 5  # NaN, None and NaT are empty cells


def test_xlsx_writes_an_undeclared_instant_column_as_local_datetimes():
    frame = pd.DataFrame({"label": ["a"], "seen": pd.to_datetime(["2026-07-01T22:30:00Z"], utc=True)})
    sheet = read_xlsx(to_xlsx(make_report(frame, (Column("label", "Label"), Column("seen", "Seen")))))["Algorithms"]
    assert [c.value for c in sheet[1]] == ["Label", "Seen (Europe/Paris)"]
    assert sheet["B2"].value == datetime(2026, 7, 2, 0, 30)


def test_xlsx_metadata_sheet_has_filters_time_link_kpis_and_notes():
    sheet = read_xlsx(to_xlsx(make_report()))["Metadata"]
    lines = {row[0].value: row[1].value for row in sheet.iter_rows() if row[0].value}
    assert lines["Quantum report"] is None and lines["Domains"] == "quantum"
    assert lines["Generated"] == "2026-03-01T10:00:00+01:00" and lines["Mean quality"] == "91.2"
    link = next(cell for row in sheet.iter_rows() for cell in row if cell.hyperlink)
    assert link.value == LINK and link.hyperlink.target == LINK
    assert "Schrödinger–QAOA ü leads quantum at 91.2." in [row[1].value for row in sheet.iter_rows()]


def test_xlsx_of_no_matching_data_keeps_the_header_row():
    sheet = read_xlsx(to_xlsx(make_report(algorithms_frame().iloc[0:0])))["Algorithms"]
    assert sheet.max_row == 1 and sheet["A1"].value == "Algorithm"
    assert sheet.auto_filter.ref == "A1:J1"


@pytest.mark.parametrize("payload", CORPUS)
def test_xlsx_never_stores_a_formula_from_text(payload):
    sheet = read_xlsx(to_xlsx(injection_report(payload)))["Algorithms"]
    (header, _), (text, number), (number_text, zero) = sheet.iter_rows(max_row=3)
    for cell, expected in ((header, payload), (text, payload), (number_text, "-12.5")):
        # OOXML stores a carriage return as _x000D_ (Excel decodes it; openpyxl leaves inline strings as they are).
        assert cell.data_type == "s" and cell.value.replace("_x000D_", "\r") == "'" + expected
    assert (number.data_type, number.value, zero.data_type, zero.value) == ("n", -12.5, "n", 0)


def test_xlsx_refuses_a_table_above_the_row_limit_and_suggests_csv(monkeypatch):
    monkeypatch.setattr(xlsx, "EXCEL_MAX_ROWS", 3)
    with pytest.raises(BadRequest, match="CSV") as refused:
        to_xlsx(make_report())  # 3 rows + the header = 4 rows > 3
    assert refused.value.details[0]["field"] == "format"
    assert read_xlsx(to_xlsx(make_report(algorithms_frame().iloc[:2])))["Algorithms"].max_row == 3


# -- JSON ---------------------------------------------------------------------------
def test_json_is_the_api_envelope_with_records_keyed_by_column_key():
    body = json.loads(to_json(make_report(), request_id="req_test"))
    assert body["status"] == "success"
    assert body["meta"]["request_id"] == "req_test" and body["meta"]["version"] == "1.0"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["meta"]["timestamp"])
    data = body["data"]
    assert data["title"] == "Quantum report" and data["metadata"]["Link"] == LINK
    assert data["kpis"][0] == {"label": "Mean quality", "value": "91.2"}
    assert data["notes"] == ["Schrödinger–QAOA ü leads quantum at 91.2."]
    assert data["statistics"] == [{"domain": "Quantum", "validations": 7}]
    first, second, third = data["algorithms"]
    assert first == {"name": "Schrödinger–QAOA ü", "quality": 91.25, "confidence": 0.875, "tests": 14,
                     "rank_change": 2, "success_rate": 0.25, "speedup": 3.2,
                     "first": "2026-03-01T10:00:00+01:00", "period": "2026-02-23", "tied": True}
    assert second["first"] == "2026-07-02T00:30:00+02:00" and second["rank_change"] is None
    assert [third[k] for k in ("name", "quality", "success_rate", "first", "period")] == [None] * 5


def test_json_default_request_id_and_exact_text():
    body = json.loads(to_json(injection_report("=1+1")))
    assert re.fullmatch(r"req_[0-9a-f]{12}", body["meta"]["request_id"])
    assert body["data"]["algorithms"][0] == {"label": "=1+1", "value": -12.5}  # no spreadsheet reads JSON


def test_json_of_no_matching_data_is_an_empty_list():
    data = json.loads(to_json(make_report(algorithms_frame().iloc[0:0])))["data"]
    assert data["algorithms"] == []


# -- cells --------------------------------------------------------------------------
def test_neutralise_decides_by_type_not_by_look():
    mixed = pd.Series(["=1", -3.5, None, "-3.5", "a-b"], dtype=object)
    assert neutralise(mixed).tolist() == ["'=1", -3.5, None, "'-3.5", "a-b"]
    assert neutralise(pd.Series([-1.5, 0.0])).tolist() == [-1.5, 0.0]
    assert neutralise(pd.Series([True, None], dtype=object)).tolist() == [True, None]
