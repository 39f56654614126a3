"""Benchmark: a PDF report with 4 charts and a 50-row table, against fresh one-shot chart renders.

    .venv/bin/python bench/pdf_bench.py

Times ``to_pdf`` cold (the first call also starts Chromium) and warm (median of 5),
then the same report with every chart drawn by a fresh ``fig.to_image`` (Kaleido
without a running browser: one Chromium started per figure), measured in the same run.
Targets: warm under 3 s and at least 4 times faster than that baseline.
The charts are the dashboard's own figure builders over made-up, fixed numbers.
"""
from __future__ import annotations

import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from helios_dash.exports import pdf  # noqa: E402
from helios_dash.exports.charts import stop_renderer  # noqa: E402
from helios_dash.exports.model import Chart, Report, Table  # noqa: E402
from helios_dash.reports.columns import LEADERBOARD_COLUMNS  # noqa: E402
from helios_dash.figures.domains import domain_quality_chart  # noqa: E402
from helios_dash.figures.leaderboard import leaderboard_chart  # noqa: E402
from helios_dash.figures.trends import count_trend_chart, quality_trend_chart  # noqa: E402
from helios_dash.filters import Filters  # noqa: E402

WARM_RUNS = 5
BASELINE_RUNS = 2  # each costs one Chromium start per chart
TARGET_WARM_S = 3.0
TARGET_RATIO = 4.0


def bench_report(rows: int = 50) -> Report:
    """A report like the Leaderboard's: 4 charts of the dashboard's builders and a ``rows``-row table."""
    rng = np.random.default_rng(7)
    quality = np.sort(rng.uniform(40, 95, rows))[::-1]
    board = pd.DataFrame({
        "algorithm_id": [f"algo-{n}" for n in range(rows)], "rank": np.arange(1, rows + 1),
        # The rank range its interval allows, and the tier of algorithms it cannot be told apart from.
        "rank_best": np.maximum(np.arange(1, rows + 1) - rng.integers(0, 3, rows), 1),
        "rank_worst": np.minimum(np.arange(1, rows + 1) + rng.integers(0, 3, rows), rows),
        "tier": np.arange(rows) // 5 + 1,
        "rank_change": pd.array(rng.integers(-3, 4, rows), dtype="Int64"), "tied": rng.random(rows) < 0.3,
        "name": [f"Algorithm {n} (Schrödinger–QAOA variant)" for n in range(rows)],
        "domain": rng.choice(["Quantum", "Optimization", "Learning"], rows),
        "type": rng.choice(["novel", "hybrid"], rows),
        "mean_quality": quality, "ci_low": quality - 1.5, "ci_high": quality + 1.5,
        "mean_speedup": rng.uniform(0.8, 6, rows), "tests": rng.integers(100, 9000, rows),
        "validations": rng.integers(10, 500, rows), "success_rate": rng.random(rows),
    })
    charts = (Chart("Mean quality with 95% interval", leaderboard_chart(board), "Algorithm 0 leads at 94.9 ± 1.5."),
              Chart("Mean quality per domain", domain_quality_chart(_domain_stats(rng)), "Quantum leads."),
              Chart("Mean quality per week", quality_trend_chart(_trends(rng)), "52 weeks, 3 domains."),
              Chart("Validations per week", count_trend_chart(_trends(rng)), "About 150 a week."))
    filters = Filters(tz="Europe/Berlin")
    return Report(title="HELIOS leaderboard", filters=filters, generated_at=datetime.now(filters.zone),
                  link="http://127.0.0.1:8050/leaderboard?tz=Europe/Berlin", charts=charts,
                  tables=(Table("leaderboard", "Leaderboard", LEADERBOARD_COLUMNS, board),),
                  kpis=(("Validations", "7,800"), ("Mean quality", "67.4")), notes=("Algorithm 0 leads.",),
                  metadata={"Domains": "all", "Period": "all validations (Europe/Berlin)"})


def _domain_stats(rng) -> pd.DataFrame:
    names = ["Quantum", "Optimization", "Learning", "Cryptography", "Materials", "Biology"]
    quality = np.sort(rng.uniform(50, 90, len(names)))[::-1]
    count = len(names)
    return pd.DataFrame({"domain_id": [n.lower() for n in names], "domain": names,
                         "algorithms": rng.integers(5, 30, count), "validations": rng.integers(500, 9000, count),
                         "mean_quality": quality, "min_quality": quality - 25, "mean_speedup": rng.uniform(1, 3, count),
                         "max_speedup": rng.uniform(3, 10, count), "success_rate": rng.random(count)})


def _trends(rng) -> pd.DataFrame:
    weeks = [datetime(2026, 1, 5) + timedelta(weeks=n) for n in range(52)]
    return pd.DataFrame([{"period_start": week, "series": series, "validations": int(rng.integers(20, 80)),
                          "mean_quality": rng.uniform(55, 70), "mean_speedup": rng.uniform(1, 2.5)}
                         for series in ("Quantum", "Optimization", "Learning") for week in weeks])


def one_shot_render(figure, width: int, height: int, format: str = "png", scale: float = 1) -> bytes:
    """What a report costs without a running browser: Kaleido starts Chromium for this figure alone."""
    return figure.to_image(format=format, width=width, height=height, scale=scale)


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def bench_pdf() -> dict[str, float]:
    """Print cold, warm and one-shot-baseline times of a 4-chart, 50-row PDF report; return them."""
    report = bench_report()
    stop_renderer()  # cold means cold, even if an earlier benchmark drew a chart
    cold = timed(lambda: pdf.to_pdf(report))
    warm = statistics.median(timed(lambda: pdf.to_pdf(report)) for _ in range(WARM_RUNS))
    size = len(pdf.to_pdf(report))
    with mock.patch.object(pdf, "render_chart", one_shot_render):
        baseline = statistics.median(timed(lambda: pdf.to_pdf(report)) for _ in range(BASELINE_RUNS))
    ratio = baseline / warm
    print(f"PDF report, {len(report.charts)} charts + {len(report.tables[0].frame)}-row table ({size / 1e6:.2f} MB)")
    print(f"  cold (starts Chromium):           {cold:6.2f} s")
    print(f"  warm (median of {WARM_RUNS}):              {warm:6.2f} s   target < {TARGET_WARM_S:.0f} s: "
          f"{'met' if warm < TARGET_WARM_S else 'MISSED'}")
    print(f"  one-shot fig.to_image per chart:  {baseline:6.2f} s   (median of {BASELINE_RUNS})")
    print(f"  warm is {ratio:.1f}x faster than one-shot   target >= {TARGET_RATIO:.0f}x: "
          f"{'met' if ratio >= TARGET_RATIO else 'MISSED'}")
    return {"cold_s": cold, "warm_s": warm, "baseline_s": baseline, "ratio": ratio, "bytes": size}


if __name__ == "__main__":
    bench_pdf()
