"""XLSX: one sheet per table with typed cells, then a "Metadata" sheet.

Numbers are numbers with a number format per column kind (a percent column holds
0-1 fractions shown as 45.0%, a speedup 1.23 shown as 1.23x); instants are real Excel
date-times. Excel has no timezone, so instants are converted to the report's timezone
and the header says which one ("First validation (Europe/Paris)"). Blanks for
missing values, TRUE/FALSE for booleans; risky text is neutralised (``cells``).

The writer is rvgsrust-xlsxwriter (Python bindings of rust_xlsxwriter, the Rust sister of
XlsxWriter). A table goes in as Arrow columns in one call, so no Python object is made
per cell: 100k records x 12 columns take 1.2 CPU seconds where XlsxWriter took 5.9
(``bench/xlsx.py``, same run). Its ``write()`` stores a string as text, never as a formula.
Sheets are written in constant-memory mode (rows go to a temporary file as they are
written), so even a sheet at Excel's row limit never sits in memory as a million cells.
"""
from __future__ import annotations

import numbers
from dataclasses import replace

import pandas as pd
import pyarrow as pa
import rvgsrust_xlsxwriter as rx

from ..errors import BadRequest
from .cells import local_dates, local_times, neutralise, safe_text, sheet_name
from .model import Column, Report, Table

EXCEL_MAX_ROWS = 1_048_576  # per sheet, the header row included
METADATA_SHEET = "Metadata"
EXCEL_URL_MAX = 2079  # longer links are written as plain text
NUMBER_FORMATS = {"int": "#,##0", "float1": "0.0", "float2": "0.00", "percent": "0.0%", "speedup": '0.00"x"',
                  "datetime": "yyyy-mm-dd hh:mm:ss", "date": "yyyy-mm-dd", "number": "#,##0.00",
                  "whole": "#,##0"}
WIDTHS = {"datetime": 20, "date": 12}
EXCEL_EPOCH = pd.Timestamp("1899-12-30")  # day 0 of Excel's serial dates (1900 system)
_ARROW_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError)


def to_xlsx(report: Report) -> bytes:
    """The report as an XLSX workbook: one sheet per table, then its metadata."""
    for table in report.tables:
        check_rows(table)  # before writing anything: a refusal leaves no half-written file behind
    workbook = rx.Workbook()
    formats = _formats(workbook)
    taken = {METADATA_SHEET.lower()}
    for table in report.tables:
        name = sheet_name(table.title, taken)
        taken.add(name.lower())
        _write_table(workbook.add_worksheet(name, constant_memory=True), table, report.filters.tz, formats)
    _write_metadata(workbook.add_worksheet(METADATA_SHEET, constant_memory=True), report, formats)
    return workbook.save_to_buffer()


def check_rows(table: Table) -> None:
    """Refuse a table that does not fit in one Excel sheet, pointing to CSV."""
    rows = len(table.frame)
    if rows + 1 > EXCEL_MAX_ROWS:
        message = (f"The {table.title} table has {rows:,} rows; an Excel sheet holds at most "
                   f"{EXCEL_MAX_ROWS - 1:,} under its header. Export it as CSV instead, which has no row limit.")
        raise BadRequest(message, [{"field": "format", "message": "too many rows for XLSX; use csv"}])


def _formats(workbook) -> dict:
    formats = {kind: workbook.add_format().set_num_format(code) for kind, code in NUMBER_FORMATS.items()}
    formats["header"] = (workbook.add_format().set_bold().set_bottom_border("thin").set_text_wrap()
                         .set_vertical_align("top"))
    formats["bold"] = workbook.add_format().set_bold()
    return formats


def _write_table(sheet, table: Table, tz: str, formats: dict) -> None:
    columns = [_typed(column, table.frame[column.key]) for column in table.columns]
    for col, column in enumerate(columns):
        sheet.set_column_width(col, _width(table.frame[column.key], column))
        if column.kind in formats:  # what a cell typed later into the column gets
            sheet.set_column_format(col, formats[column.kind])
    sheet.write_row(0, 0, [_header(column, tz) for column in columns], formats["header"])
    values = [_sheet_values(table.frame[column.key], column.kind, tz) for column in columns]
    arrow = _arrow_table(values) if all(column.kind != "number" for column in columns) else None
    if arrow is None:
        _write_cells(sheet, columns, values, formats)
    else:
        column_formats = {name: formats[column.kind] for name, column in zip(arrow.column_names, columns)
                          if column.kind in formats}
        sheet.write_dataframe(1, 0, arrow, write_header=False, column_formats=column_formats)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, len(table.frame), max(len(table.columns) - 1, 0))


def _typed(column: Column, values: pd.Series) -> Column:
    # A tz-aware column holds instants whatever its declared kind; Excel could not store its zone.
    if isinstance(values.dtype, pd.DatetimeTZDtype) and column.kind != "date":
        return replace(column, kind="datetime")
    return column


def _header(column: Column, tz: str) -> str:
    return safe_text(f"{column.header} ({tz})" if column.kind == "datetime" else column.header)


def _sheet_values(values: pd.Series, kind: str, tz: str) -> pd.Series:
    """The column as Excel stores it: serial day numbers for times, safe text, no infinity."""
    if kind in ("datetime", "date"):
        # Serial day numbers under a date format: what Excel stores, without a datetime per cell.
        days = local_times(values, tz) if kind == "datetime" else local_dates(values, tz)
        values = (days - EXCEL_EPOCH) / pd.Timedelta(days=1)
    values = neutralise(values)
    if pd.api.types.is_float_dtype(values.dtype):
        values = values.where(values.abs() != float("inf"))  # Excel has no infinity: a blank instead
    return values.reset_index(drop=True)


def _arrow_table(values: list[pd.Series]) -> pa.Table | None:
    """The columns as one Arrow table the writer takes whole, or None if one of them will not convert."""
    arrays = [_arrow_column(column) for column in values]
    if any(array is None for array in arrays):
        return None
    return pa.table(arrays, names=[f"c{col}" for col in range(len(arrays))])  # headers may repeat; these don't


def _arrow_column(values: pd.Series) -> pa.Array | None:
    try:
        array = pa.array(values, from_pandas=True)  # NaN, None and NA become nulls: blank cells
    except _ARROW_ERRORS:  # a column mixing kinds of value (text and numbers): written cell by cell
        return None
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    if pa.types.is_null(array.type):  # nothing but blanks
        return pa.nulls(len(array), pa.float64())
    kind = array.type
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind):
        return array
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return array
    return None  # decimals, durations, string views, nested values: the cell-by-cell path takes them


def _write_cells(sheet, columns: list[Column], values: list[pd.Series], formats: dict) -> None:
    """Cell by cell, for what the Arrow path cannot take: per-row formats ("number") and mixed columns."""
    cells = [series.astype(object).where(series.notna(), None).tolist() for series in values]
    kinds = [column.kind for column in columns]
    for row, line in enumerate(zip(*cells, strict=True), start=1):
        for col, (value, kind) in enumerate(zip(line, kinds)):
            if value is None:
                continue
            value = _cell(value)
            if kind == "number" and isinstance(value, float):
                # Rows of different measures: a count shows as 1,234, a mean as 85.23.
                sheet.write(row, col, value, formats["whole" if value.is_integer() else "number"])
            else:
                sheet.write(row, col, value, formats.get(kind))


def _cell(value):
    """A Python value the writer types itself: bool, float or (safe) text."""
    if isinstance(value, (bool, str)):
        return value
    if hasattr(value, "item") and not isinstance(value, pd.Timestamp):  # numpy scalars
        value = value.item()
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Number) and not isinstance(value, complex):  # Decimal and Fraction too
        return float(value)
    return safe_text(str(value))


def _width(values: pd.Series, column: Column) -> float:
    """Wide enough for the header and, for text, the longest value; never wider than 60."""
    widest = WIDTHS.get(column.kind, 10)
    if column.kind == "text" and len(values) and not pd.api.types.is_bool_dtype(values.dtype):
        longest = values.astype("str").str.len().max(skipna=True)  # NaN when every value is missing
        widest = max(widest, 0 if pd.isna(longest) else int(longest))
    return min(max(widest, len(column.header) + 2) + 1, 60)


def _write_metadata(sheet, report: Report, formats: dict) -> None:
    sheet.set_column_width(0, 24)
    sheet.set_column_width(1, 80)
    for row, (label, value) in enumerate(_metadata_rows(report)):
        if label:
            sheet.write(row, 0, safe_text(label), formats["bold"])
        if value.startswith(("http://", "https://")) and len(value) <= EXCEL_URL_MAX:
            sheet.write_url(row, 1, value, None, value)
        elif value:
            sheet.write(row, 1, safe_text(value))


def _metadata_rows(report: Report) -> list[tuple[str, str]]:
    """(label, value) lines: title, filters, period, time and link, then key figures and notes."""
    rows = [(report.title, ""), ("", "")] + list(report.metadata.items())
    if report.kpis:
        rows += [("", ""), ("Key figures", "")] + list(report.kpis)
    if report.notes:
        rows += [("", ""), ("Notes", "")] + [("", note) for note in report.notes]
    return rows
