"""Benchmark: an XLSX export of 100k validation records, XlsxWriter against compiled writers in the same run.

    .venv/bin/python bench/xlsx.py [--rows 100000] [--runs 5]

The records are the full-record export's columns (RECORD_COLUMNS) with the dtypes the store
yields (int64 ids, tz-aware UTC instants, text, float measures, int32 tests, text with
missing hypothesis ids), and some text that looks like a formula. Every writer writes the
same report: the records sheet with its number formats, header, frozen row and filter, then
the Metadata sheet. Writers:

  (a) xlsxwriter, today's path    the former ``to_xlsx``: constant memory, ``write_row`` per row
  (b) xlsxwriter, typed calls     constant memory, ``write_number``/``write_string`` bound per column
      xlsxwriter, write_column    in memory (not streaming), one ``write_column`` per column
  (c) to_xlsx (rvgsrust)          the adopted path: Arrow columns into rvgsrust-xlsxwriter
      rustpy-xlsxwriter           ``write_worksheets`` of the prepared frame, if installed

Runs go in rounds (every writer once per round) so a burst of load on a shared machine hits
all writers alike. Prints the median of ``--runs`` wall-clock and CPU seconds per writer, their ratios against (a),
and how far the resident memory rose while the writer ran once in a fresh process (Linux:
VmHWM after resetting it, so memory allocated in Rust counts too). Figures only; the
read-back tests check the contents.
"""
from __future__ import annotations

import argparse
import io
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from helios_dash.domain.records import RECORD_COLUMNS  # noqa: E402
from helios_dash.exports import xlsx  # noqa: E402
from helios_dash.exports.cells import safe_text, sheet_name  # noqa: E402
from helios_dash.exports.model import Column, Report, Table  # noqa: E402
from helios_dash.filters import Filters  # noqa: E402

TZ = "Europe/Paris"
TARGET_S = 2.0
KINDS = {"id": "int", "created_at": "datetime", "quality": "float1", "confidence": "float2", "speedup": "speedup",
         "tests": "int"}
COLUMNS = tuple(Column(key, key.replace("_", " ").capitalize(), KINDS.get(key, "text")) for key in RECORD_COLUMNS)
NAMES = np.array(["Adaptive QAOA", "Schrödinger–QAOA ü", "Warm-Started VQE", '=HYPERLINK("x")', "-2+3"])
XLSXWRITER_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


def records_frame(rows: int) -> pd.DataFrame:
    """``rows`` validation records with the store's columns and dtypes."""
    rng, ids, start = np.random.default_rng(11), np.arange(rows), pd.Timestamp("2025-01-01", tz="UTC")
    return pd.DataFrame({
        "id": ids, "created_at": start + pd.to_timedelta(ids * 31_000_123, unit="us"),
        "algorithm_id": "algo-" + pd.Series(ids % 170).astype(str), "algorithm": NAMES[ids % len(NAMES)],
        "domain_id": "quantum", "domain": "Quantum", "quality": rng.random(rows) * 100,
        "confidence": rng.random(rows), "speedup": 0.5 + rng.random(rows) * 3,
        "tests": (ids % 50).astype("int32"), "validator": "pytest-bench",
        "hypothesis_id": pd.Series(np.where(ids % 7 == 0, None, "hyp-000001"), dtype="str"),
    })


def records_report(rows: int) -> Report:
    return Report("Validation records", Filters(tz=TZ), datetime.now(timezone.utc), "http://localhost:8050/",
                  tables=(Table("validations", "Validations", COLUMNS, records_frame(rows)),),
                  metadata={"Period": "all validations (Europe/Paris)", "Link": "http://localhost:8050/"})


# -- (a) and (b): XlsxWriter -----------------------------------------------------------
def xlsxwriter_today(report: Report) -> bytes:
    """The former ``to_xlsx``: constant memory, one ``write_row`` per row (xlsxwriter types each cell)."""
    return _xlsxwriter_book(report, _rows_by_write_row, constant_memory=True)


def xlsxwriter_typed(report: Report) -> bytes:
    """Constant memory, the typed method of each column bound once: no per-cell type dispatch."""
    return _xlsxwriter_book(report, _rows_by_typed_calls, constant_memory=True)


def xlsxwriter_columns(report: Report) -> bytes:
    """In memory (the whole sheet as cell objects), one ``write_column`` per column."""
    return _xlsxwriter_book(report, _rows_by_write_column, constant_memory=False)


def _xlsxwriter_book(report: Report, write_rows, constant_memory: bool) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {**XLSXWRITER_OPTIONS, "constant_memory": constant_memory})
    formats = {kind: book.add_format({"num_format": code}) for kind, code in xlsx.NUMBER_FORMATS.items()}
    header = book.add_format({"bold": True, "bottom": 1, "text_wrap": True, "valign": "top"})
    taken = {xlsx.METADATA_SHEET.lower()}
    for table in report.tables:
        name = sheet_name(table.title, taken)
        taken.add(name.lower())
        sheet = book.add_worksheet(name)
        columns = [xlsx._typed(column, table.frame[column.key]) for column in table.columns]
        for col, column in enumerate(columns):
            sheet.set_column(col, col, xlsx._width(table.frame[column.key], column), formats.get(column.kind))
        sheet.write_row(0, 0, [xlsx._header(column, report.filters.tz) for column in columns], header)
        values = [xlsx._sheet_values(table.frame[column.key], column.kind, report.filters.tz) for column in columns]
        write_rows(sheet, [_python_values(series) for series in values])
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, len(table.frame), len(columns) - 1)
    meta, bold = book.add_worksheet(xlsx.METADATA_SHEET), book.add_format({"bold": True})
    for row, (label, value) in enumerate(xlsx._metadata_rows(report)):
        if label:
            meta.write_string(row, 0, safe_text(label), bold)
        if value.startswith("http"):
            meta.write_url(row, 1, value, string=value)
        elif value:
            meta.write_string(row, 1, safe_text(value))
    book.close()
    return buffer.getvalue()


def _python_values(series: pd.Series) -> list:
    plain = series.astype(object)
    return plain.where(plain.notna(), None).tolist()


def _rows_by_write_row(sheet, cells: list[list]) -> None:
    for row, values in enumerate(zip(*cells), start=1):
        sheet.write_row(row, 0, values)


def _rows_by_typed_calls(sheet, cells: list[list]) -> None:
    writers = [sheet.write_string if any(isinstance(v, str) for v in column[:100]) else sheet.write_number
               for column in cells]
    for row, values in enumerate(zip(*cells), start=1):
        for col, value in enumerate(values):
            if value is not None:
                writers[col](row, col, value)


def _rows_by_write_column(sheet, cells: list[list]) -> None:
    for col, column in enumerate(cells):
        sheet.write_column(1, col, column)


# -- (c): compiled writers --------------------------------------------------------------
def rustpy(report: Report):
    """rustpy-xlsxwriter's one-call writer over the same prepared columns, or None if it is not installed."""
    try:
        import rustpy_xlsxwriter as rp
    except ImportError:
        return None

    def write() -> bytes:
        table, tz = report.tables[0], report.filters.tz
        frame = pd.DataFrame({xlsx._header(c, tz): xlsx._sheet_values(table.frame[c.key], c.kind, tz)
                              for c in table.columns})
        formats = {xlsx._header(c, tz): rp.Format().set_num_format(xlsx.NUMBER_FORMATS[c.kind])
                   for c in table.columns if c.kind in xlsx.NUMBER_FORMATS}
        meta = pd.DataFrame(xlsx._metadata_rows(report), columns=["Label", "Value"])
        buffer = io.BytesIO()
        rp.write_worksheets([(table.title, frame), (xlsx.METADATA_SHEET, meta)], buffer,
                            freeze_panes={table.title: {"row": 1, "col": 0}},
                            column_formats={table.title: formats},
                            header_format={"general": rp.Format().set_bold()},
                            autofilter={table.title: True})
        return buffer.getvalue()
    return write


# -- measuring --------------------------------------------------------------------------
def writers(report: Report) -> list[tuple[str, object]]:
    """(label, run) per writer, (a) first; run is None for a writer that is not installed."""
    return [("(a) xlsxwriter, today's path (write_row)", lambda: xlsxwriter_today(report)),
            ("(b) xlsxwriter, typed calls per column", lambda: xlsxwriter_typed(report)),
            ("(b) xlsxwriter, write_column, in memory", lambda: xlsxwriter_columns(report)),
            ("(c) to_xlsx: rvgsrust-xlsxwriter, Arrow", lambda: xlsx.to_xlsx(report)),
            ("(c) rustpy-xlsxwriter, write_worksheets", rustpy(report))]


def timed(run) -> tuple[float, float]:
    """Wall-clock and CPU seconds (all threads of this process) of one run."""
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


def peak_growth_mb(rows: int, index: int) -> str:
    """How far resident memory rose while writer ``index`` ran once, in a fresh process (Linux only)."""
    child = subprocess.run([sys.executable, __file__, "--rows", str(rows), "--peak-of", str(index)],
                           capture_output=True, text=True, check=False)
    return child.stdout.strip() or "n/a"


def print_peak_growth(rows: int, index: int) -> None:
    report = records_report(rows)
    run = writers(report)[index][1]
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current resident size
    except OSError:
        return
    before = _status_bytes("VmRSS")
    run()
    print(f"{(_status_bytes('VmHWM') - before) / 1e6:.0f} MB")


def _status_bytes(key: str) -> int:
    line = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith(key))
    return int(line.split()[1]) * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--peak-of", type=int, help=argparse.SUPPRESS)  # child mode: one writer's peak memory
    args = parser.parse_args()
    if args.peak_of is not None:
        return print_peak_growth(args.rows, args.peak_of)
    report = records_report(args.rows)
    present = [(i, label, run) for i, (label, run) in enumerate(writers(report)) if run is not None]
    sizes = {label: len(run()) for _, label, run in present}  # warm-up, and each file's size
    times = {label: [] for _, label, run in present}
    for _ in range(args.runs):  # rounds of every writer, so a burst of load on the machine hits all alike
        for _, label, run in present:
            times[label].append(timed(run))
    print(f"XLSX of {args.rows:,} records x {len(COLUMNS)} columns + Metadata; median of {args.runs} interleaved "
          f"runs; Python {platform.python_version()}, xlsxwriter {xlsxwriter.__version__}, "
          f"rvgsrust-xlsxwriter {version('rvgsrust-xlsxwriter')}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    print("  CPU seconds count this process's threads only, so they move less than wall time when the "
          "machine is shared.")
    baseline = [statistics.median(t[k] for t in times[present[0][1]]) for k in (0, 1)]
    for i, (label, run) in enumerate(writers(report)):
        if run is None:
            print(f"  {label:<42} skipped: not installed (pip install rustpy-xlsxwriter to compare)")
            continue
        wall, cpu = (statistics.median(t[k] for t in times[label]) for k in (0, 1))
        verdict = "meets" if wall <= TARGET_S else "misses"
        print(f"  {label:<42} {wall:6.2f} s wall ({baseline[0] / wall:4.1f}x vs (a))  {cpu:6.2f} s CPU "
              f"({baseline[1] / cpu:4.1f}x)  {sizes[label] / 1e6:4.1f} MB file  peak memory "
              f"+{peak_growth_mb(args.rows, i)}  {verdict} <= {TARGET_S:.0f} s wall")


if __name__ == "__main__":
    main()
