"""Benchmark: each query of the query layer against plain pandas, at 1M and 10M validations.

    .venv/bin/python bench/queries.py [--sizes 1000000 10000000] [--runs 20]

For every size it seeds a temporary store with the demo generator, loads the same
validations into an in-memory DataFrame, and times each query (median and p95 of
``--runs`` runs) next to a plain-pandas implementation of the same numbers. Before
timing, both answers are compared, so the ratio is between equal results.
Prints a Markdown table; bench/RESULTS.md keeps a copy.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from helios_dash import queries  # noqa: E402
from helios_dash.demo import seed_demo  # noqa: E402
from helios_dash.filters import Filters  # noqa: E402
from helios_dash.schema import algorithms, validations  # noqa: E402
from helios_dash.store import open_store  # noqa: E402

TARGETS_MS = {"leaderboard": 50, "leaderboard, last 90 days": 50, "domain stats": 80,
              "trends (week, Paris, rolling 4)": 100, "comparison (4)": 100, "data-version token": 2}


# -- plain-pandas baselines: the same numbers from an in-memory DataFrame ----------------
def pandas_domain_stats(df: pd.DataFrame, _filters: Filters) -> pd.DataFrame:
    grouped = df.assign(success=df["quality"] > 70).groupby("domain_id")
    out = grouped.agg(algorithms=("algorithm_id", "nunique"), validations=("quality", "size"),
                      mean_quality=("quality", "mean"), min_quality=("quality", "min"),
                      mean_speedup=("speedup", "mean"), max_speedup=("speedup", "max"),
                      success_rate=("success", "mean"))
    return out.sort_values("mean_quality", ascending=False)


def pandas_metrics(df: pd.DataFrame) -> pd.DataFrame:
    out = df.groupby("algorithm_id").agg(
        validations=("quality", "size"), mean_quality=("quality", "mean"), std_quality=("quality", "std"),
        mean_speedup=("speedup", "mean"), tests=("tests", "sum"))
    half = 1.96 * out["std_quality"] / np.sqrt(out["validations"])
    return out.assign(ci_low=out["mean_quality"] - half, ci_high=out["mean_quality"] + half)


def pandas_leaderboard(df: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    def ranked(frame):
        m = pandas_metrics(frame).reset_index()
        return m.sort_values(["mean_quality", "mean_speedup", "tests", "algorithm_id"],
                             ascending=[False, False, False, True], ignore_index=True)
    board = ranked(_in_range(df, filters))
    previous = filters.previous_period()
    if previous:
        before = ranked(_in_range(df, previous))
        board["previous_rank"] = board["algorithm_id"].map(pd.Series(before.index + 1, before["algorithm_id"]))
    board["tied"] = board["ci_high"] >= board["ci_low"].shift(1)
    return board


def pandas_trends(df: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    local = df["created_at"].dt.tz_convert(filters.tz).dt.tz_localize(None).dt.normalize()
    week = local - pd.to_timedelta(local.dt.day_of_week, unit="D")
    sums = df.groupby(week)[["quality", "speedup"]].agg(["sum", "count"])
    out = pd.DataFrame({"validations": sums[("quality", "count")],
                        "mean_quality": sums[("quality", "sum")] / sums[("quality", "count")],
                        "mean_speedup": sums[("speedup", "sum")] / sums[("quality", "count")]})
    window = sums.rolling(4, min_periods=1).sum()
    out["rolling_quality"] = window[("quality", "sum")] / window[("quality", "count")]
    return out


def pandas_comparison(df: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    return pandas_metrics(df[df["algorithm_id"].isin(filters.algorithms)]).reindex(list(filters.algorithms))


def _in_range(df: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    lower, upper = filters.utc_bounds()
    mask = pd.Series(True, index=df.index)
    if lower is not None:
        mask &= df["created_at"] >= lower
    if upper is not None:
        mask &= df["created_at"] < upper
    return df[mask]


# -- agreement checks: the benchmark compares equal answers --------------------------
def check_same(name: str, ours: pd.DataFrame, theirs: pd.DataFrame) -> None:
    """Fail loudly if the store's answer and the pandas answer differ."""
    if name.startswith("leaderboard"):
        assert list(ours["algorithm_id"]) == list(theirs["algorithm_id"]), name
        np.testing.assert_allclose(ours["mean_quality"], theirs["mean_quality"], rtol=1e-9)
    elif name == "domain stats":
        np.testing.assert_allclose(ours.set_index("domain_id")["mean_quality"],
                                   theirs["mean_quality"].reindex(ours["domain_id"]), rtol=1e-9)
        assert list(ours["algorithms"]) == list(theirs["algorithms"].reindex(ours["domain_id"]))
    elif name.startswith("trends"):
        counts = ours.set_index("period_start")["validations"]
        assert counts[counts > 0].equals(theirs["validations"].astype("int64").rename_axis("period_start")), name
        np.testing.assert_allclose(ours.dropna(subset=["mean_quality"])["mean_quality"],
                                   theirs["mean_quality"], rtol=1e-9)
    elif name.startswith("comparison"):
        np.testing.assert_allclose(ours["mean_quality"], theirs["mean_quality"], rtol=1e-9)


def timed(function, runs: int) -> list[float]:
    """Wall-clock milliseconds of ``runs`` calls, after one warm-up call."""
    function()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def p95(samples: list[float]) -> float:
    return float(np.percentile(samples, 95))


def bench_size(size: int, runs: int) -> list[tuple]:
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"duckdb:///{Path(tmp) / 'bench.duckdb'}")
        start = time.perf_counter()
        seed_demo(store, validations=size, progress=True)
        print(f"seeded {size:,} validations in {time.perf_counter() - start:.1f} s", file=sys.stderr)
        frame = store.read(sa.select(validations, algorithms.c.type).join(
            algorithms, algorithms.c.id == validations.c.algorithm_id))
        newest = frame["created_at"].max().date()
        top4 = tuple(frame["algorithm_id"].value_counts().index[:4])
        cases = {
            "leaderboard": (queries.select_leaderboard, pandas_leaderboard, Filters()),
            "leaderboard, last 90 days": (queries.select_leaderboard, pandas_leaderboard,
                                          Filters(start=newest - timedelta(days=89), end=newest)),
            "domain stats": (queries.select_domain_stats, pandas_domain_stats, Filters()),
            "trends (week, Paris, rolling 4)": (
                lambda s, f: queries.select_performance_trends(s, f, rolling=4), pandas_trends,
                Filters(granularity="week", tz="Europe/Paris")),
            "comparison (4)": (queries.select_algorithm_comparison, pandas_comparison, Filters(algorithms=top4)),
        }
        rows = []
        for name, (ours, theirs, filters) in cases.items():
            check_same(name, ours(store, filters), theirs(frame, filters))
            helios = timed(lambda: ours(store, filters), runs)
            baseline = timed(lambda: theirs(frame, filters), runs)
            rows.append((size, name, helios, baseline))
        rows.append((size, "data-version token", timed(store.data_version, runs * 10), None))
        rows.append((size, "monthly report", timed(lambda: queries.get_monthly_report(store, Filters(), newest), runs), None))
        store.close()
        return rows


def print_table(rows: list[tuple], runs: int) -> None:
    print(f"\nMachine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_implementation()} "
          f"{platform.python_version()}; {runs} runs each, after a warm-up run.\n")
    print("| rows | query | HELIOS median ms | p95 ms | pandas median ms | p95 ms | pandas / HELIOS | target |")
    print("|---:|---|---:|---:|---:|---:|---:|---|")
    for size, name, ours, theirs in rows:
        ours_median = statistics.median(ours)
        target = TARGETS_MS.get(name)
        verdict = "" if target is None or size < 10_000_000 else (
            f"< {target} ms: {'met' if ours_median < target else 'missed'}")
        if theirs is None:
            print(f"| {size:,} | {name} | {ours_median:.2f} | {p95(ours):.2f} | - | - | - | {verdict} |")
            continue
        ratio = statistics.median(theirs) / ours_median
        print(f"| {size:,} | {name} | {ours_median:.1f} | {p95(ours):.1f} | {statistics.median(theirs):.1f} "
              f"| {p95(theirs):.1f} | {ratio:.1f}x | {verdict} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    rows = [row for size in args.sizes for row in bench_size(size, args.runs)]
    print_table(rows, args.runs)


if __name__ == "__main__":
    main()
