"""Benchmark: XLSX of 100k rows and CSV of 1M streamed rows, each against plain pandas in the same run.

    .venv/bin/python bench/exports.py [--xlsx-rows 100000] [--runs 5] [--baseline-runs 3] [--csv-rows 1000000]

XLSX: ``to_xlsx`` of a 13-column table shaped like the Algorithms sheet (2 date-time
columns, 4 text, 7 numbers), median of ``--runs``, next to ``DataFrame.to_excel(engine="openpyxl")``
of the same columns. CSV: ``iter_csv_records`` over 100k-row batches into a file, next to
``DataFrame.to_csv`` of the whole frame, each in a fresh process; peak memory is how far the
resident memory rose above where it stood after the imports (Linux: VmHWM after resetting it,
so Arrow's buffers count too; elsewhere tracemalloc).
Then the PDF benchmark of ``bench/pdf_bench.py``, when that module is there. Prints figures only.
"""
from __future__ import annotations

import argparse
import io
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from helios_dash.exports.csv import iter_csv_records  # noqa: E402
from helios_dash.exports.model import Report, Table  # noqa: E402
from helios_dash.reports.columns import ALGORITHM_COLUMNS  # noqa: E402
from helios_dash.exports.xlsx import to_xlsx  # noqa: E402
from helios_dash.filters import Filters  # noqa: E402

TZ = "Europe/Paris"
XLSX_TARGET_S = 5.0
NAMES = np.array(["Adaptive QAOA", "Schrödinger–QAOA ü", "Warm-Started VQE", "=HYPERLINK(\"x\")"])


def algorithms_frame(rows: int) -> pd.DataFrame:
    """``rows`` algorithm-like rows with every column kind the Algorithms sheet has."""
    rng, ids = np.random.default_rng(7), np.arange(rows)
    start = pd.Timestamp("2025-01-01", tz="UTC")
    return pd.DataFrame({
        "algorithm_id": "algo-" + pd.Series(ids).astype(str), "name": NAMES[ids % len(NAMES)],
        "domain": "Quantum", "type": "novel", "mean_quality": rng.random(rows) * 100,
        "mean_confidence": rng.random(rows), "mean_speedup": 0.5 + rng.random(rows) * 3,
        "max_speedup": 1 + rng.random(rows) * 6, "tests": ids % 90, "validations": ids % 20,
        "success_rate": rng.random(rows), "first_validation": start + pd.to_timedelta(ids * 61_000_123, unit="us"),
        "last_validation": start + pd.to_timedelta(ids * 97_000_457, unit="us"),
    })


def record_batches(rows: int, batch_rows: int = 100_000):
    """Validation records (RECORD_COLUMNS), made one batch at a time as the store yields them."""
    rng, start = np.random.default_rng(11), pd.Timestamp("2025-01-01", tz="UTC")
    for first in range(0, rows, batch_rows):
        ids = np.arange(first, min(first + batch_rows, rows))
        yield pd.DataFrame({
            "id": ids, "created_at": start + pd.to_timedelta(ids * 31_000_123, unit="us"),
            "algorithm_id": "algo-" + pd.Series(ids % 170).astype(str), "algorithm": NAMES[ids % len(NAMES)],
            "domain_id": "quantum", "domain": "Quantum", "quality": rng.random(len(ids)) * 100,
            "confidence": rng.random(len(ids)), "speedup": 0.5 + rng.random(len(ids)) * 3,
            "tests": (ids % 50).astype("int32"), "validator": "pytest-bench",
            "hypothesis_id": pd.Series(np.where(ids % 7 == 0, None, "hyp-000001"), dtype="str"),
        })


def timed(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def peak_growth(run) -> tuple[float, str]:
    """Seconds taken by ``run`` and how far memory rose above where it stood, with how it was measured."""
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current resident size
    except OSError:
        tracemalloc.start()
        seconds = timed(run)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return seconds, f"{peak / 1e6:.0f} MB (tracemalloc)"
    before = _status_bytes("VmRSS")
    seconds = timed(run)
    return seconds, f"{(_status_bytes('VmHWM') - before) / 1e6:.0f} MB (resident)"


def _status_bytes(key: str) -> int:
    line = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith(key))
    return int(line.split()[1]) * 1024


def bench_xlsx(rows: int, runs: int, baseline_runs: int) -> None:
    frame = algorithms_frame(rows)
    report = Report("Benchmark", Filters(tz=TZ), datetime.now(timezone.utc), "http://localhost:8050/",
                    tables=(Table("algorithms", "Algorithms", ALGORITHM_COLUMNS, frame),))
    ours = statistics.median(timed(lambda: to_xlsx(report)) for _ in range(runs))
    shown = frame[[c.key for c in ALGORITHM_COLUMNS]].copy()
    for key in ("first_validation", "last_validation"):  # Excel takes no timezone: pandas refuses tz-aware
        shown[key] = shown[key].dt.tz_convert(TZ).dt.tz_localize(None)
    pandas = statistics.median(
        timed(lambda: shown.to_excel(io.BytesIO(), engine="openpyxl", index=False)) for _ in range(baseline_runs))
    cells = rows * len(ALGORITHM_COLUMNS)
    verdict = "met" if ours < XLSX_TARGET_S else "missed"
    print(f"XLSX, {rows:,} rows x {len(ALGORITHM_COLUMNS)} columns ({len(to_xlsx(report)) / 1e6:.1f} MB)")
    print(f"  to_xlsx (xlsxwriter), median of {runs}:   {ours:6.2f} s  {cells / ours / 1e3:,.0f}k cells/s  "
          f"target < {XLSX_TARGET_S:.0f} s: {verdict}")
    print(f"  pandas to_excel(openpyxl), median of {baseline_runs}: {pandas:6.2f} s  -> to_xlsx is "
          f"{pandas / ours:.1f}x faster")


def bench_csv(rows: int) -> None:
    generate = timed(lambda: sum(len(batch) for batch in record_batches(rows)))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "records.csv"
        # Each writer in a fresh process: its memory figure owes nothing to the other's leftovers.
        ours, ours_memory = _in_child("stream", rows, path)
        size = path.stat().st_size
        theirs, theirs_memory = _in_child("whole", rows, path)
    print(f"CSV, {rows:,} validation records ({size / 1e6:.0f} MB; making the batches alone takes {generate:.2f} s)")
    print(f"  iter_csv_records, streamed:   {ours:6.2f} s  {rows / ours:>11,.0f} rows/s  peak +{ours_memory}")
    print(f"  pandas to_csv, whole frame:   {theirs:6.2f} s  {rows / theirs:>11,.0f} rows/s  peak +{theirs_memory}")
    print(f"  -> streaming is {theirs / ours:.1f}x faster")


def _in_child(writer: str, rows: int, path: Path) -> tuple[float, str]:
    command = [sys.executable, __file__, "--csv-child", writer, "--csv-rows", str(rows), "--csv-path", str(path)]
    seconds, memory = subprocess.run(command, capture_output=True, text=True, check=True).stdout.split("|")
    return float(seconds), memory.strip()


def run_child(writer: str, rows: int, path: Path) -> None:
    """Print "seconds|peak memory growth" of one CSV writer; memory counted from after the imports."""
    run = {"stream": _stream_to, "whole": _whole_frame_to}[writer]
    seconds, memory = peak_growth(lambda: run(path, rows))
    print(f"{seconds}|{memory}")


def _stream_to(path: Path, rows: int) -> None:
    with path.open("wb") as out:
        for chunk in iter_csv_records(record_batches(rows), TZ):
            out.write(chunk)


def _whole_frame_to(path: Path, rows: int) -> None:
    frame = pd.concat(record_batches(rows), ignore_index=True)
    frame["created_at"] = frame["created_at"].dt.tz_convert(TZ)
    frame.to_csv(path, index=False)


def bench_pdf_if_present() -> None:
    # --- Hook: the PDF benchmark lives in bench/pdf_bench.py (written separately). ---
    try:
        from pdf_bench import bench_pdf
    except ImportError:
        print("PDF benchmark not available")
        return
    bench_pdf()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline-runs", type=int, default=3)
    parser.add_argument("--csv-rows", type=int, default=1_000_000)
    parser.add_argument("--csv-child", choices=["stream", "whole"], help=argparse.SUPPRESS)
    parser.add_argument("--csv-path", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.csv_child:
        return run_child(args.csv_child, args.csv_rows, args.csv_path)
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_implementation()} "
          f"{platform.python_version()}; run {datetime.now().strftime('%Y-%m-%d %H:%M')}\n")
    bench_csv(args.csv_rows)
    print()
    bench_xlsx(args.xlsx_rows, args.runs, args.baseline_runs)
    print()
    bench_pdf_if_present()


if __name__ == "__main__":
    main()
