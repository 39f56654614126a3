"""The query layer checked on a hand-made fixture.

Every expected number below was worked out by hand from the nine validations
in ``ROWS`` (the arithmetic is in the comments) or, for the confidence
intervals, with textbook Student-t quantiles and ``statistics.stdev``.
"""
from __future__ import annotations

import math
import statistics
from datetime import date

import pandas as pd
import pytest

from helios_dash import queries
from helios_dash.errors import BadRequest, NotFound
from helios_dash.filters import Filters
from helios_dash.schema import algorithms, domains, validations

DOMAINS = [("quantum", "Quantum"), ("crypto", "Cryptography")]
ALGORITHMS = [  # id, domain, type
    ("vqe", "quantum", "novel"),
    ("qaoa", "quantum", "baseline"),
    ("kem", "crypto", "improved"),
    ("idle", "crypto", "hybrid"),  # never validated
]
ROWS = [  # algorithm, quality, confidence, speedup, tests, created_at (UTC)
    ("vqe", 80, 0.9, 2.0, 10, "2026-03-02 09:00"),   # Monday
    ("vqe", 90, 0.8, 3.0, 20, "2026-03-03 10:00"),
    ("vqe", 70, 0.7, 1.0, 5, "2026-03-10 23:30"),    # 00:30 on 11 March in Paris (UTC+1)
    ("qaoa", 60, 0.5, 1.0, 4, "2026-03-02 12:00"),
    ("qaoa", 72, 0.6, 1.5, 6, "2026-03-16 08:00"),
    ("qaoa", 99, 0.9, 1.0, 2, "2026-02-25 10:00"),
    ("kem", 95, 0.95, 4.0, 30, "2026-03-05 14:00"),
    ("kem", 85, 0.9, 2.0, 10, "2026-02-20 14:00"),
    ("kem", 90, 0.9, 3.0, 8, "2026-03-20 14:15"),
]
T_975 = {1: 12.706204736, 2: 4.302652730}  # Student-t two-sided 95% quantiles (tables)


@pytest.fixture
def fixture_store(store):
    """The store filled with the rows above."""
    with store.write() as conn:
        store.append_frame(conn, domains, pd.DataFrame(DOMAINS, columns=["id", "name"]))
        frame = pd.DataFrame(ALGORITHMS, columns=["id", "domain_id", "type"])
        frame["name"] = frame["id"].str.upper()
        frame["created_at"] = pd.Timestamp("2026-01-01", tz="UTC")
        store.append_frame(conn, algorithms, frame)
        rows = pd.DataFrame(ROWS, columns=["algorithm_id", "quality", "confidence", "speedup", "tests", "created_at"])
        rows["created_at"] = pd.to_datetime(rows["created_at"], utc=True)
        rows["domain_id"] = rows["algorithm_id"].map({a: d for a, d, _ in ALGORITHMS})
        rows["id"] = range(1, len(rows) + 1)
        store.append_frame(conn, validations, rows)
    return store


def by(frame: pd.DataFrame, key: str) -> dict:
    return frame.set_index(key).to_dict("index")


# -- domain stats -------------------------------------------------------------
def test_domain_stats_all_time(fixture_store):
    stats = queries.select_domain_stats(fixture_store, Filters())
    assert list(stats["domain_id"]) == ["crypto", "quantum"]  # 90.0 before 78.5
    crypto, quantum = by(stats, "domain_id")["crypto"], by(stats, "domain_id")["quantum"]
    # crypto: 95, 85, 90 -> mean 90, min 85; speedups 4, 2, 3 -> mean 3, max 4; all > 70
    assert crypto["domain"] == "Cryptography"
    assert (crypto["algorithms"], crypto["validations"]) == (1, 3)
    assert (crypto["mean_quality"], crypto["min_quality"]) == (pytest.approx(90.0), 85)
    assert (crypto["mean_speedup"], crypto["max_speedup"], crypto["success_rate"]) == pytest.approx((3.0, 4.0, 1.0))
    # quantum: 80+90+70+60+72+99 = 471 over 6 = 78.5, min 60; speedups 9.5/6, max 3;
    # above 70: 80, 90, 72, 99 -> 4/6 (70 itself is not a success)
    assert (quantum["algorithms"], quantum["validations"]) == (2, 6)
    assert quantum["mean_quality"] == pytest.approx(78.5)
    assert quantum["min_quality"] == 60
    assert quantum["mean_speedup"] == pytest.approx(9.5 / 6)
    assert quantum["max_speedup"] == pytest.approx(3.0)
    assert quantum["success_rate"] == pytest.approx(4 / 6)


def test_domain_stats_by_type_and_date(fixture_store):
    # baselines in March: qaoa 60 and 72 -> mean 66, speedup 1.25, one success of two
    march = Filters(types=("baseline",), start=date(2026, 3, 1), end=date(2026, 3, 31))
    stats = queries.select_domain_stats(fixture_store, march)
    assert len(stats) == 1
    row = stats.iloc[0]
    assert (row["domain_id"], row["algorithms"], row["validations"]) == ("quantum", 1, 2)
    assert (row["mean_quality"], row["mean_speedup"], row["success_rate"]) == pytest.approx((66, 1.25, 0.5))


def test_domain_stats_empty_view(fixture_store):
    stats = queries.select_domain_stats(fixture_store, Filters(domains=("nowhere",)))
    assert stats.empty and "mean_quality" in stats.columns


# -- leaderboard ----------------------------------------------------------------
def expected_interval(values: list[float]) -> tuple[float, float]:
    mean = statistics.fmean(values)
    half = T_975[len(values) - 1] * statistics.stdev(values) / math.sqrt(len(values))
    return max(mean - half, 0), min(mean + half, 100)  # clipped to the 0-100 scale


def test_leaderboard_all_time(fixture_store):
    board = queries.select_leaderboard(fixture_store, Filters())
    # kem 90 (95, 85, 90), vqe 80 (80, 90, 70), qaoa 77 (60, 72, 99); idle never ran
    assert list(board["algorithm_id"]) == ["kem", "vqe", "qaoa"]
    assert list(board["rank"]) == [1, 2, 3]
    rows = by(board, "algorithm_id")
    assert rows["kem"]["mean_quality"] == pytest.approx(90)
    # kem: sd 5, se 5/sqrt(3), half-width 4.3027 * 2.8868 = 12.42: 77.579 to 102.421, clipped at 100
    assert (rows["kem"]["ci_low"], rows["kem"]["ci_high"]) == pytest.approx((77.579, 100), abs=1e-3)
    assert (rows["vqe"]["ci_low"], rows["vqe"]["ci_high"]) == pytest.approx(expected_interval([80, 90, 70]))
    assert (rows["qaoa"]["ci_low"], rows["qaoa"]["ci_high"]) == pytest.approx(expected_interval([60, 72, 99]))
    assert rows["vqe"]["tests"] == 35 and rows["vqe"]["validations"] == 3
    assert rows["kem"]["mean_speedup"] == pytest.approx(3.0)
    # vqe's interval [55.2, 100] reaches kem's lower end 77.6: tied; qaoa's reaches vqe's
    assert list(board["tied"]) == [False, True, True]
    assert board["rank_change"].isna().all()  # open range: no previous period


def test_leaderboard_rank_change_against_previous_period(fixture_store):
    march = Filters(start=date(2026, 3, 1), end=date(2026, 3, 31))
    board = queries.select_leaderboard(fixture_store, march)
    # March: kem 92.5, vqe 80, qaoa 66. Previous 31 days (29 Jan - 28 Feb): qaoa 99, kem 85.
    assert list(board["algorithm_id"]) == ["kem", "vqe", "qaoa"]
    rows = by(board, "algorithm_id")
    assert rows["kem"]["mean_quality"] == pytest.approx(92.5)
    assert (rows["kem"]["previous_rank"], rows["kem"]["rank_change"]) == (2, 1)
    assert (rows["qaoa"]["previous_rank"], rows["qaoa"]["rank_change"]) == (1, -2)
    assert pd.isna(rows["vqe"]["previous_rank"]) and pd.isna(rows["vqe"]["rank_change"])


def test_leaderboard_per_domain(fixture_store):
    board = queries.select_leaderboard(fixture_store, Filters(domains=("quantum",)))
    assert list(board["algorithm_id"]) == ["vqe", "qaoa"]
    assert list(board["rank"]) == [1, 2]


def test_leaderboard_breaks_quality_ties_by_speedup_then_tests(store):
    rows = [  # equal means of 80: a and b by speedup, b and c by tests
        ("a", 80, 2.0, 5), ("b", 80, 3.0, 5), ("c", 80, 3.0, 9), ("d", 79, 9.0, 99),
    ]
    with store.write() as conn:
        store.append_frame(conn, domains, pd.DataFrame([("x", "X")], columns=["id", "name"]))
        algos = pd.DataFrame({"id": ["a", "b", "c", "d"], "name": list("ABCD"), "domain_id": "x",
                              "type": "novel", "created_at": pd.Timestamp("2026-01-01", tz="UTC")})
        store.append_frame(conn, algorithms, algos)
        frame = pd.DataFrame(rows, columns=["algorithm_id", "quality", "speedup", "tests"])
        frame = frame.assign(id=range(1, 5), domain_id="x", confidence=0.5,
                             created_at=pd.Timestamp("2026-02-01", tz="UTC"))
        store.append_frame(conn, validations, frame)
    board = queries.select_leaderboard(store, Filters())
    assert list(board["algorithm_id"]) == ["c", "b", "a", "d"]
    assert board["tied"].tolist() == [False, True, True, True]  # single runs have no interval


# -- trends ---------------------------------------------------------------------
def test_weekly_trends_in_utc(fixture_store):
    trends = queries.select_performance_trends(fixture_store, Filters(granularity="week"))
    weeks = by(trends, "period_start")
    assert list(trends["period_start"].dt.date) == [
        date(2026, 2, 16), date(2026, 2, 23), date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16)]
    # week of 2 March: 80, 90, 60, 95 -> 81.25; speedups 2, 3, 1, 4 -> 2.5
    week = weeks[pd.Timestamp("2026-03-02")]
    assert week["validations"] == 4
    assert (week["mean_quality"], week["mean_speedup"]) == pytest.approx((81.25, 2.5))
    assert weeks[pd.Timestamp("2026-03-16")]["mean_quality"] == pytest.approx(81)  # 72, 90


def test_daily_trend_follows_the_viewers_timezone(fixture_store):
    vqe = Filters(algorithms=("vqe",), granularity="day")
    utc = queries.select_performance_trends(fixture_store, vqe)
    paris = queries.select_performance_trends(fixture_store, vqe.replace(tz="Europe/Paris"))
    assert utc.iloc[-1]["period_start"] == pd.Timestamp("2026-03-10")  # 23:30 UTC
    assert paris.iloc[-1]["period_start"] == pd.Timestamp("2026-03-11")  # 00:30 in Paris
    # 2 to 10 March is 9 days; days without validations are kept with a count of 0
    assert len(utc) == 9 and utc["validations"].tolist() == [1, 1, 0, 0, 0, 0, 0, 0, 1]
    assert utc["mean_quality"].isna().sum() == 6


def test_trends_rolling_mean_is_weighted_by_validations(fixture_store):
    trends = queries.select_performance_trends(fixture_store, Filters(granularity="week"), rolling=2)
    week = by(trends, "period_start")[pd.Timestamp("2026-03-02")]
    # weeks of 23 Feb (99) and 2 March (80+90+60+95): 424 over 5 validations
    assert week["rolling_quality"] == pytest.approx(84.8)


def test_monthly_trends_split_by_domain(fixture_store):
    trends = queries.select_performance_trends(fixture_store, Filters(granularity="month"), split_by="domain")
    cells = {(r.period_start.strftime("%Y-%m"), r.split): (r.validations, r.mean_quality)
             for r in trends.itertuples()}
    assert cells == {
        ("2026-02", "crypto"): (1, 85), ("2026-02", "quantum"): (1, 99),
        ("2026-03", "crypto"): (2, 92.5), ("2026-03", "quantum"): (5, pytest.approx(74.4)),
    }


def test_trends_split_by_type_and_bad_split(fixture_store):
    trends = queries.select_performance_trends(fixture_store, Filters(granularity="month"), split_by="type")
    assert set(trends["split"]) == {"novel", "baseline", "improved"}
    with pytest.raises(BadRequest):
        queries.select_performance_trends(fixture_store, Filters(), split_by="colour")


def test_trends_empty_view(fixture_store):
    assert queries.select_performance_trends(fixture_store, Filters(domains=("none",))).empty


# -- comparison -----------------------------------------------------------------
def test_algorithm_comparison(fixture_store):
    frame = queries.select_algorithm_comparison(fixture_store, Filters(algorithms=("vqe", "kem", "idle")))
    assert list(frame["algorithm_id"]) == ["vqe", "kem", "idle"]  # the order chosen
    assert frame["validations"].tolist() == [3, 3, 0]
    assert frame.loc[2, "name"] == "IDLE" and frame.loc[2, "domain_id"] == "crypto"
    assert frame.loc[0, "mean_confidence"] == pytest.approx(0.8)  # 0.9, 0.8, 0.7
    pairs = queries.pairwise_differences(frame)
    vqe_kem = pairs.iloc[0]
    assert (vqe_kem["algorithm_a"], vqe_kem["algorithm_b"]) == ("vqe", "kem")
    assert vqe_kem["mean_quality_diff"] == pytest.approx(-10)
    assert vqe_kem["mean_speedup_diff"] == pytest.approx(-1)  # (2+3+1)/3 - (4+2+3)/3
    # Welch: se = sqrt(100/3 + 25/3) = 6.455; -10 +/- 12.65 contains 0
    assert vqe_kem["quality_diff_ci_low"] == pytest.approx(-10 - 1.959964 * math.sqrt(125 / 3))
    assert not vqe_kem["quality_significant"]
    assert len(pairs) == 3


@pytest.mark.parametrize("chosen", [("vqe",), tuple("abcdefghi")])
def test_comparison_needs_two_to_eight(fixture_store, chosen):
    with pytest.raises(BadRequest):
        queries.select_algorithm_comparison(fixture_store, Filters(algorithms=chosen))


def test_comparison_unknown_algorithm(fixture_store):
    with pytest.raises(NotFound, match="nope"):
        queries.select_algorithm_comparison(fixture_store, Filters(algorithms=("vqe", "nope")))


# -- monthly report ---------------------------------------------------------------
def test_monthly_report_utc(fixture_store):
    report = queries.get_monthly_report(fixture_store, Filters(), month=date(2026, 3, 1)).iloc[0]
    # March: 80 90 70 60 72 95 90 = 557 over 7; above 70: 80 90 72 95 90 = 5
    assert report["month"] == "2026-03" and report["total_validations"] == 7
    assert report["mean_quality"] == pytest.approx(557 / 7)
    assert report["success_rate"] == pytest.approx(5 / 7)
    assert report["best_speedup"] == pytest.approx(4.0)  # kem on 5 March
    # hours 9 10 23 12 8 14 14: 14:00 has two
    assert (report["peak_hour"], report["peak_hour_validations"]) == (14, 2)


def test_monthly_report_in_another_timezone(fixture_store):
    report = queries.get_monthly_report(fixture_store, Filters(tz="Europe/Paris"), month=date(2026, 3, 9)).iloc[0]
    assert report["total_validations"] == 7
    assert report["peak_hour"] == 15  # 14:00 UTC is 15:00 in Paris before 29 March


def test_monthly_report_empty_month(fixture_store):
    report = queries.get_monthly_report(fixture_store, Filters(), month=date(2025, 1, 1)).iloc[0]
    assert report["total_validations"] == 0 and pd.isna(report["peak_hour"])


# -- raw records ------------------------------------------------------------------
def test_validation_records_stream_in_time_order(fixture_store):
    batches = list(queries.select_validation_records(fixture_store, Filters(domains=("quantum",)), batch_rows=2))
    assert [len(b) for b in batches] == [2, 2, 2]  # quantum has 6 validations
    rows = pd.concat(batches, ignore_index=True)
    assert rows["created_at"].is_monotonic_increasing
    assert rows["quality"].tolist() == [99, 80, 60, 90, 70, 72]  # 25 Feb, 2 Mar 09:00 and 12:00, 3, 10, 16 Mar
    assert set(rows["algorithm"]) == {"VQE", "QAOA"} and set(rows["domain"]) == {"Quantum"}
