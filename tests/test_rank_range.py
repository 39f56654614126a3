"""Rank ranges (Chatbot Arena's rule) and tiers, against a brute-force reading of their definition."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from helios_dash.filters import Filters
from helios_dash.queries.leaderboard import rank
from helios_dash.services.leaderboard import add_rank_ranges, rank_ranges, rank_tiers

NAN = math.nan


# -- the independent implementation: the definition read literally, O(n^2) -------------
def entirely_above(other, this) -> bool:
    """``other`` lies entirely above ``this``: strictly, touching ends overlap; no interval is unbounded."""
    (other_low, _), (_, this_high) = other, this
    return not (math.isnan(other_low) or math.isnan(this_high)) and other_low > this_high


def brute_ranges(intervals) -> list[tuple[int, int]]:
    """(best, worst) for each (low, high): 1 + how many lie above; how many do not lie below."""
    ranges = []
    for this in intervals:
        above = sum(entirely_above(other, this) for other in intervals)
        not_below = sum(not entirely_above(this, other) for other in intervals)
        ranges.append((1 + above, not_below))
    return ranges


def brute_tiers(intervals) -> list[int]:
    """Intervals in rank order: a new tier where every one before lies above every one after."""
    tiers = [1]
    for k in range(1, len(intervals)):
        clean = all(entirely_above(top, rest) for top in intervals[:k] for rest in intervals[k:])
        tiers.append(tiers[-1] + clean)
    return tiers


def ranges_of(intervals) -> list[tuple[int, int]]:
    best, worst = rank_ranges([low for low, _ in intervals], [high for _, high in intervals])
    return list(zip(best.tolist(), worst.tolist()))


# -- hand-made intervals, the expected ranges worked out by hand --------------------------
FIVE = [(80, 90), (78, 84), (70, 78), (60, 69), (55, 65)]  # in rank order (by centre)


def test_hand_made_ranges():
    # A: nothing above; C, D, E below (highs < 80)   -> 1-2
    # B: nothing above; D, E below; C touches at 78   -> 1-3
    # C: A above (80 > 78), B touches at 78; D, E below -> 2-3
    # D, E: A, B, C above (lows > 69, > 65); D and E overlap -> 4-5
    assert ranges_of(FIVE) == [(1, 2), (1, 3), (2, 3), (4, 5), (4, 5)]
    assert brute_ranges(FIVE) == [(1, 2), (1, 3), (2, 3), (4, 5), (4, 5)]


def test_a_missing_interval_may_rank_anywhere_and_widens_every_other_range():
    six = FIVE + [(NAN, NAN)]  # a single validation, mean 50
    assert ranges_of(six) == [(1, 3), (1, 4), (2, 4), (4, 6), (4, 6), (1, 6)]
    assert brute_ranges(six) == ranges_of(six)


@pytest.mark.parametrize("intervals, expected", [
    ([(60, 70), (50, 60)], [(1, 2), (1, 2)]),  # touching at 60: not entirely above
    ([(60, 70), (50, 59.99)], [(1, 1), (2, 2)]),  # apart: the order is certain
    ([(5, 5), (5, 5)], [(1, 2), (1, 2)]),  # zero width, equal means
    ([(0, 100)], [(1, 1)]),
    ([], []),
])
def test_boundaries(intervals, expected):
    assert ranges_of(intervals) == expected == brute_ranges(intervals)


def test_hand_made_tiers_break_only_where_the_order_is_certain():
    board = pd.DataFrame({"rank": range(1, 6), "ci_low": [low for low, _ in FIVE],
                          "ci_high": [high for _, high in FIVE]})
    assert rank_tiers(board).tolist() == [1, 1, 1, 2, 2] == brute_tiers(FIVE)  # C's 70 > D's 69
    with_single = pd.concat([board, pd.DataFrame({"rank": [6], "ci_low": [NAN], "ci_high": [NAN]})],
                            ignore_index=True)
    assert rank_tiers(with_single).tolist() == [1] * 6  # an unbounded interval joins every tier
    shuffled = board.iloc[[3, 0, 4, 2, 1]]
    assert rank_tiers(shuffled).tolist() == [2, 1, 2, 1, 1]  # follows the rank, not the row order


# -- random boards: vectorised == brute force, and consistent with the rank -----------
def random_board(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Means with intervals around them; integer ends so touching intervals are common; some missing."""
    means = rng.integers(0, 40, n).astype(float)
    below, above = rng.integers(0, 6, n), rng.integers(0, 6, n)
    single = rng.random(n) < 0.1
    return pd.DataFrame({
        "algorithm_id": [f"a{i:03d}" for i in range(n)], "mean_quality": means,
        "mean_speedup": rng.integers(1, 3, n).astype(float), "tests": rng.integers(1, 3, n),
        "ci_low": np.where(single, NAN, np.clip(means - below, 0, 100)),
        "ci_high": np.where(single, NAN, np.clip(means + above, 0, 100)),
    })


@pytest.mark.parametrize("seed", range(40))
def test_vectorised_ranges_and_tiers_match_brute_force(seed):
    rng = np.random.default_rng(seed)
    board = add_rank_ranges(rank(random_board(rng, int(rng.integers(1, 40)))))
    intervals = list(zip(board["ci_low"], board["ci_high"]))
    assert list(zip(board["rank_best"], board["rank_worst"])) == brute_ranges(intervals)
    assert board["tier"].tolist() == brute_tiers(intervals)
    assert ((board["rank_best"] <= board["rank"]) & (board["rank"] <= board["rank_worst"])).all()


def test_add_rank_ranges_keeps_the_rows_and_puts_the_range_after_the_rank():
    board = rank(random_board(np.random.default_rng(7), 12)).iloc[::-1]  # rows in any order
    ranged = add_rank_ranges(board)
    assert list(ranged.columns[:4]) == ["rank", "rank_best", "rank_worst", "tier"]
    assert ranged.index.tolist() == board.index.tolist() and ranged["rank_best"].dtype == "int64"
    assert "rank_best" not in board  # the caller's frame is left as it was


# -- the demo data ---------------------------------------------------------------------
def assert_consistent(board: pd.DataFrame) -> None:
    """Ranges hold the rank, match the definition, and tiers never share a possible rank."""
    assert ((board["rank_best"] <= board["rank"]) & (board["rank"] <= board["rank_worst"])).all()
    by_rank = board.sort_values("rank")
    intervals = list(zip(by_rank["ci_low"], by_rank["ci_high"]))
    assert list(zip(by_rank["rank_best"], by_rank["rank_worst"])) == brute_ranges(intervals)
    assert by_rank["tier"].tolist() == brute_tiers(intervals)
    spans = by_rank.groupby("tier").agg(best=("rank_best", "min"), worst=("rank_worst", "max"))
    assert (spans["worst"].iloc[:-1].to_numpy() < spans["best"].iloc[1:].to_numpy()).all()
    if len(by_rank) > 1:  # the old mark for #2 says the same as #2's range
        second = by_rank.iloc[1]
        assert bool(second["tied"]) == (second["rank_best"] == 1)


@pytest.mark.parametrize("query", [{}, {"domain": ["quantum"]}, {"domain": ["cryptography"], "type": ["novel"]},
                                   {"start": ["2026-09-01"], "end": ["2026-09-07"]}])
def test_demo_board_ranges_are_consistent_with_the_rank(dash_app, settled, query):
    from helios_dash.services.leaderboard import rank_algorithms

    filters, _ = Filters.from_query(query)
    board = rank_algorithms(filters)
    assert {"rank_best", "rank_worst", "tier"} <= set(board.columns)
    assert_consistent(board)


def test_demo_board_sorted_by_speed_keeps_each_rows_range(dash_app, settled):
    from helios_dash.services.leaderboard import rank_algorithms

    by_rank = rank_algorithms(Filters()).set_index("algorithm_id")
    by_speed = rank_algorithms(Filters(sort="mean_speedup:desc")).set_index("algorithm_id")
    columns = ["rank", "rank_best", "rank_worst", "tier"]
    pd.testing.assert_frame_equal(by_speed.loc[by_rank.index, columns], by_rank[columns])
    assert rank_algorithms(Filters(sort="rank_worst:asc"))["rank_worst"].is_monotonic_increasing


# -- the chart --------------------------------------------------------------------------
def hand_board(intervals, names=None) -> pd.DataFrame:
    """A ranked board over (low, high) intervals, the mean in the middle (or 50 without an interval)."""
    names = names or [chr(ord("A") + i) for i in range(len(intervals))]
    return pd.DataFrame({
        "rank": range(1, len(intervals) + 1), "algorithm_id": [n.lower() for n in names], "name": names,
        "domain": "Quantum", "mean_quality": [50 if math.isnan(lo) else (lo + hi) / 2 for lo, hi in intervals],
        "ci_low": [lo for lo, _ in intervals], "ci_high": [hi for _, hi in intervals],
        "validations": 10, "tied": False,
    })


def test_chart_hover_shows_each_rank_range():
    from helios_dash.figures.leaderboard import leaderboard_chart

    figure = leaderboard_chart(add_rank_ranges(hand_board(FIVE)))
    dots = figure.data[0]
    assert [row[3] for row in dots.customdata] == [
        "Rank 1 (possible 1-2)", "Rank 2 (possible 1-3)", "Rank 3 (possible 2-3)",
        "Rank 4 (possible 4-5)", "Rank 5 (possible 4-5)"]
    assert "%{customdata[3]}" in dots.hovertemplate
    apart = leaderboard_chart(hand_board([(60, 70), (50, 59)]))  # computes the ranges when missing
    assert [row[3] for row in apart.data[0].customdata] == ["Rank 1 (no other possible)", "Rank 2 (no other possible)"]


def test_chart_draws_a_dashed_line_only_at_tier_breaks():
    from helios_dash.figures.leaderboard import BREAK_NAME, leaderboard_chart

    figure = leaderboard_chart(hand_board(FIVE))
    assert [(s.y0, s.y1, s.line.dash) for s in figure.layout.shapes] == [(2.5, 2.5, "dash")]  # between #3 and #4
    assert figure.layout.shapes[0].showlegend and figure.layout.shapes[0].name == BREAK_NAME
    assert len(figure.data) == 1
    assert leaderboard_chart(hand_board(FIVE + [(NAN, NAN)])).layout.shapes == ()  # one unbounded interval
    three_tiers = leaderboard_chart(hand_board([(90, 95), (80, 85), (70, 75)]))
    assert [(s.y0, s.showlegend) for s in three_tiers.layout.shapes] == [(0.5, True), (1.5, False)]
