"""The XLSX writer's two paths (Arrow columns, and cell by cell), read back with openpyxl.

Expected values are written out by hand or computed with the standard library's zoneinfo,
not with the pandas code the writer uses. Paris is UTC+1 until 2026-03-29 01:00 UTC, UTC+2 after.
"""
from __future__ import annotations

import io
import zipfile
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
import openpyxl
import pandas as pd
import pytest

from helios_dash.domain.records import RECORD_COLUMNS
from helios_dash.exports.model import Column, Report, Table
from helios_dash.exports.xlsx import to_xlsx
from helios_dash.filters import Filters

TZ = "Europe/Paris"
KINDS = {"id": "int", "created_at": "datetime", "quality": "float1", "confidence": "float2", "speedup": "speedup",
         "tests": "int"}
RECORDS = tuple(Column(key, key, KINDS.get(key, "text")) for key in RECORD_COLUMNS)
NAMES = ["Adaptive QAOA", '=HYPERLINK("http://x")', "-2+3", "@SUM(A1)", "+cmd", "Schrödinger–QAOA ü"]
ROWS = 240
START = datetime(2026, 3, 28, 20, 0, tzinfo=timezone.utc)  # the rows cross Paris's March DST change


def report(*tables: Table) -> Report:
    return Report("Test", Filters(tz=TZ), datetime(2026, 3, 1, 10, 0, tzinfo=ZoneInfo(TZ)), "http://localhost/",
                  tables=tables)


def records_frame() -> pd.DataFrame:
    ids = np.arange(ROWS)
    return pd.DataFrame({
        "id": ids, "created_at": pd.to_datetime([START + timedelta(minutes=5 * int(i)) for i in ids], utc=True),
        "algorithm_id": [f"algo-{i % 7}" for i in ids], "algorithm": [NAMES[i % len(NAMES)] for i in ids],
        "domain_id": "quantum", "domain": "Quantum", "quality": ids / 4,
        "confidence": np.where(ids % 9 == 0, np.nan, ids / ROWS), "speedup": np.where(ids == 5, np.inf, 1 + ids / 100),
        "tests": (ids % 50).astype("int32"), "validator": "pytest",
        "hypothesis_id": pd.Series([None if i % 7 == 0 else f"hyp-{i}" for i in ids], dtype="str"),
    })


def sheet_of(data: bytes, name: str):
    return openpyxl.load_workbook(io.BytesIO(data))[name]


def test_records_table_reads_back_typed_cell_for_cell():
    data = to_xlsx(report(Table("validations", "Validations", RECORDS, records_frame())))
    sheet = sheet_of(data, "Validations")
    rows = list(sheet.iter_rows(min_row=2))
    assert len(rows) == ROWS and sheet.max_row == ROWS + 1
    paris = ZoneInfo(TZ)
    for i, row in enumerate(rows):
        cells = dict(zip(RECORD_COLUMNS, row))
        assert cells["id"].value == i and cells["id"].data_type == "n" and cells["id"].number_format == "#,##0"
        instant = (START + timedelta(minutes=5 * i)).astimezone(paris).replace(tzinfo=None)
        assert cells["created_at"].value == instant
        assert cells["created_at"].number_format == "yyyy-mm-dd hh:mm:ss"
        name = NAMES[i % len(NAMES)]
        assert cells["algorithm"].data_type == "s"
        assert cells["algorithm"].value == ("'" + name if name[0] in "=+-@" else name)
        assert cells["quality"].value == i / 4 and cells["quality"].number_format == "0.0"
        assert cells["confidence"].value == (None if i % 9 == 0 else i / ROWS)
        assert cells["speedup"].value == (None if i == 5 else 1 + i / 100)  # Excel has no infinity
        assert cells["speedup"].number_format == ("General" if i == 5 else '0.00"x"')  # a blank is left out
        assert cells["tests"].value == i % 50 and cells["hypothesis_id"].value == (None if i % 7 == 0 else f"hyp-{i}")


def test_instants_keep_paris_wall_clock_across_the_march_dst_change():
    sheet = sheet_of(to_xlsx(report(Table("validations", "Validations", RECORDS, records_frame()))), "Validations")
    # Row 2 is 2026-03-28 20:00 UTC = 21:00 in Paris; record 59 (row 61) is 295 minutes later, 00:55 UTC
    # = 01:55 (UTC+1); record 60 (row 62) is 01:00 UTC = 03:00 (UTC+2): the wall clock jumps an hour.
    assert sheet["B2"].value == datetime(2026, 3, 28, 21, 0)
    assert sheet["B61"].value == datetime(2026, 3, 29, 1, 55)
    assert sheet["B62"].value == datetime(2026, 3, 29, 3, 0)
    assert sheet["B1"].value == "created_at (Europe/Paris)"


def test_sheets_are_streamed_in_constant_memory_mode():
    # Constant-memory mode writes text inline in each row, never into the shared-string table it would
    # have to hold in memory to the end.
    data = to_xlsx(report(Table("validations", "Validations", RECORDS, records_frame())))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert 't="inlineStr"' in xml and 't="s"' not in xml


def test_a_column_mixing_text_and_numbers_keeps_each_cell_type_and_stays_safe():
    columns = (Column("label", "Label"), Column("value", "Value", "float2"), Column("flag", "Flag"))
    frame = pd.DataFrame({"label": pd.Series(["a", 1.5, None, "=1+1", Decimal("2.25")], dtype=object),
                          "value": [1.0, -2.5, np.nan, np.inf, 0.0],
                          "flag": pd.Series([True, None, False, True, None], dtype=object)})
    sheet = sheet_of(to_xlsx(report(Table("mixed", "Mixed", columns, frame))), "Mixed")
    rows = [[(c.value, c.data_type) for c in row] for row in sheet.iter_rows(min_row=2)]
    assert [r[0] for r in rows] == [("a", "s"), (1.5, "n"), (None, "n"), ("'=1+1", "s"), (2.25, "n")]
    assert [r[1][0] for r in rows] == [1.0, -2.5, None, None, 0.0]
    assert [r[2] for r in rows] == [(True, "b"), (None, "n"), (False, "b"), (True, "b"), (None, "n")]
    assert sheet["B2"].number_format == "0.00"


def test_number_columns_show_whole_values_without_decimals():
    columns = (Column("figure", "Key figure"), Column("value", "Value", "number"))
    frame = pd.DataFrame({"figure": ["Validations", "Mean quality", "Missing"], "value": [1234.0, 85.234, np.nan]})
    sheet = sheet_of(to_xlsx(report(Table("kpis", "Key figures", columns, frame))), "Key figures")
    assert [(c.value, c.number_format) for c in sheet["B"][1:3]] == [(1234, "#,##0"), (85.234, "#,##0.00")]
    assert sheet["B4"].value is None


def test_repeated_headers_and_an_all_blank_column_are_written():
    columns = (Column("a", "Same"), Column("b", "Same", "float1"), Column("c", "Blank", "int"))
    frame = pd.DataFrame({"a": ["x", "y"], "b": [1.0, 2.0], "c": [None, None]})
    sheet = sheet_of(to_xlsx(report(Table("t", "T", columns, frame))), "T")
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [["Same", "Same", "Blank"], ["x", 1.0, None],
                                                                     ["y", 2.0, None]]


@pytest.mark.parametrize("header", ["=cmd", "-1", "@x", "+1"])
def test_a_risky_header_is_text(header):
    frame = pd.DataFrame({"a": [1.0]})
    sheet = sheet_of(to_xlsx(report(Table("t", "T", (Column("a", header, "float1"),), frame))), "T")
    assert sheet["A1"].data_type == "s" and sheet["A1"].value == "'" + header


def test_a_text_column_with_no_values_gets_the_width_of_its_header():
    # Every value missing (an algorithm whose validations name no validator): pandas 3 keeps them
    # missing through astype("str"), and the longest length was NaN (a ValueError in int()).
    import pandas as pd

    from helios_dash.exports.model import Column
    from helios_dash.exports.xlsx import _width

    column = Column("validator", "Validator")
    assert _width(pd.Series([float("nan")] * 3), column) == _width(pd.Series([""] * 3, dtype=object), column)
