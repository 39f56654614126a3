"""XLSX: one sheet per table with typed cells, then a "Metadata" sheet.

Numbers are numbers with a number format per column kind (a percent column holds
0-1 fractions shown as 45.0%, a speedup 1.23 shown as 1.23x); instants are real Excel
date-times. Excel has no timezone, so instants are converted to the report's timezone
and the header says which one ("First validation (Europe/Paris)"). Blanks for
missing values, TRUE/FALSE for booleans; risky text is neutralised (``cells``).
The workbook is written in xlsxwriter's constant-memory mode (rows go to a temporary
file as they are written), so even a sheet at Excel's row limit never sits in memory
as a million cell objects.
"""
from __future__ import annotations

import io
from dataclasses import replace

import pandas as pd
import xlsxwriter

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
# Text goes in as text: never turned into a formula, a link or a number by xlsxwriter.
WORKBOOK_OPTIONS = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                    "strings_to_numbers": False}
EXCEL_EPOCH = pd.Timestamp("1899-12-30")  # day 0 of Excel's serial dates (1900 system)


def to_xlsx(report: Report) -> bytes:
    """The report as an XLSX workbook: one sheet per table, then its metadata."""
    for table in report.tables:
        check_rows(table)  # before writing anything: a refusal leaves no half-written file behind
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, WORKBOOK_OPTIONS)
    formats = _formats(workbook)
    taken = {METADATA_SHEET.lower()}
    for table in report.tables:
        name = sheet_name(table.title, taken)
        taken.add(name.lower())
        _write_table(workbook.add_worksheet(name), table, report.filters.tz, formats)
    _write_metadata(workbook.add_worksheet(METADATA_SHEET), report, formats)
    workbook.close()
    return buffer.getvalue()


def check_rows(table: Table) -> None:
    """Refuse a table that does not fit in one Excel sheet, pointing to CSV."""
    rows = len(table.frame)
    if rows + 1 > EXCEL_MAX_ROWS:
        message = (f"The {table.title} table has {rows:,} rows; an Excel sheet holds at most "
                   f"{EXCEL_MAX_ROWS - 1:,} under its header. Export it as CSV instead, which has no row limit.")
        raise BadRequest(message, [{"field": "format", "message": "too many rows for XLSX; use csv"}])


def _formats(workbook) -> dict:
    formats = {kind: workbook.add_format({"num_format": code}) for kind, code in NUMBER_FORMATS.items()}
    formats["header"] = workbook.add_format({"bold": True, "bottom": 1, "text_wrap": True, "valign": "top"})
    formats["bold"] = workbook.add_format({"bold": True})
    formats["link"] = workbook.get_default_url_format()
    return formats


def _write_table(sheet, table: Table, tz: str, formats: dict) -> None:
    columns = [_typed(column, table.frame[column.key]) for column in table.columns]
    # Constant-memory mode writes row by row, so column formats come first, the header next.
    for col, column in enumerate(columns):
        sheet.set_column(col, col, _width(table.frame[column.key], column), formats.get(column.kind))
    sheet.write_row(0, 0, [_header(column, tz) for column in columns], formats["header"])
    cells = [_cell_values(table.frame[column.key], column.kind, tz) for column in columns]
    mixed = [col for col, column in enumerate(columns) if column.kind == "number"]
    for row, values in enumerate(zip(*cells, strict=True), start=1):
        sheet.write_row(row, 0, values)
        for col in mixed:  # rows of different measures: a count shows as 1,234, a mean as 85.23
            value = values[col]
            if value is not None:
                sheet.write_number(row, col, value, formats["whole" if float(value).is_integer() else "number"])
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, len(table.frame), max(len(table.columns) - 1, 0))


def _typed(column: Column, values: pd.Series) -> Column:
    # A tz-aware column holds instants whatever its declared kind; Excel could not store its zone.
    if isinstance(values.dtype, pd.DatetimeTZDtype) and column.kind != "date":
        return replace(column, kind="datetime")
    return column


def _header(column: Column, tz: str) -> str:
    return safe_text(f"{column.header} ({tz})" if column.kind == "datetime" else column.header)


def _cell_values(values: pd.Series, kind: str, tz: str) -> list:
    """The column as Python values xlsxwriter types by themselves; None for a blank cell."""
    if kind in ("datetime", "date"):
        # Serial day numbers under a date format: what Excel stores, without a datetime per cell.
        days = local_times(values, tz) if kind == "datetime" else local_dates(values, tz)
        values = (days - EXCEL_EPOCH) / pd.Timedelta(days=1)
    values = neutralise(values)
    if pd.api.types.is_float_dtype(values.dtype):
        values = values.where(values.abs() != float("inf"))  # Excel has no infinity: a blank instead
    plain = values.astype(object)
    return plain.where(plain.notna(), None).tolist()


def _width(values: pd.Series, column: Column) -> float:
    """Wide enough for the header and, for text, the longest value; never wider than 60."""
    widest = WIDTHS.get(column.kind, 10)
    if column.kind == "text" and len(values) and not pd.api.types.is_bool_dtype(values.dtype):
        widest = max(widest, int(values.astype("str").str.len().max(skipna=True) or 0))
    return min(max(widest, len(column.header) + 2) + 1, 60)


def _write_metadata(sheet, report: Report, formats: dict) -> None:
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, 1, 80)
    for row, (label, value) in enumerate(_metadata_rows(report)):
        if label:
            sheet.write_string(row, 0, safe_text(label), formats["bold"])
        if value.startswith(("http://", "https://")) and len(value) <= EXCEL_URL_MAX:
            sheet.write_url(row, 1, value, formats["link"], string=value)
        elif value:
            sheet.write_string(row, 1, safe_text(value))


def _metadata_rows(report: Report) -> list[tuple[str, str]]:
    """(label, value) lines: title, filters, period, time and link, then key figures and notes."""
    rows = [(report.title, ""), ("", "")] + list(report.metadata.items())
    if report.kpis:
        rows += [("", ""), ("Key figures", "")] + list(report.kpis)
    if report.notes:
        rows += [("", ""), ("Notes", "")] + [("", note) for note in report.notes]
    return rows
