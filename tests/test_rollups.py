"""Rollups are exact: every query answers the same from the rollups as from the raw validations.

Runs on DuckDB and on PostgreSQL (the ``store`` fixture). The property test writes random
validations, many of them on or next to the instants where zones change day, hour or
offset, then compares rollup and raw answers for random filters, periods and zones.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings, strategies as st

from helios_dash import queries
from helios_dash.data.rollups import ROLLUPS, check_rollups, rebuild_rollups
from helios_dash.filters import Filters
from helios_dash.queries._plan import GRAIN_US, US, local_cuts, plan_blocks
from helios_dash.queries._rollups import reading_from
from helios_dash.queries.algorithm import select_algorithm_slot_sums
from helios_dash.queries.algorithms import select_algorithm_metrics
from helios_dash.queries._buckets import local_hour, local_period_start
from helios_dash.schema import algorithms, domains, validations

ZONES = ("UTC", "Europe/Paris", "Asia/Kolkata", "Asia/Kathmandu", "America/St_Johns")
DOMAINS = ("physics", "biology")
ALGORITHMS = {"a1": ("physics", "novel"), "a2": ("physics", "baseline"), "b1": ("biology", "hybrid"),
              "b2": ("biology", "improved")}
FIRST_DAY, LAST_DAY = date(2024, 2, 20), date(2024, 11, 15)  # spans both 2024 DST changes
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _us(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def _interesting_instants() -> list[int]:
    """Local midnights and hour starts of every zone near DST changes and month starts, in microseconds."""
    days = [date(2024, 3, 10), date(2024, 3, 31), date(2024, 4, 1), date(2024, 6, 3), date(2024, 10, 27),
            date(2024, 11, 1), date(2024, 11, 3)]
    instants = set()
    for name in ZONES:
        zone = ZoneInfo(name)
        for day in days:
            for hour in (0, 1, 2, 3):
                for fold in (0, 1):
                    local = datetime.combine(day, time(hour), tzinfo=zone).replace(fold=fold)
                    instants.add(_us(local.astimezone(timezone.utc)))
    return sorted(instants)


INSTANTS = _interesting_instants()
SPAN = (_us(datetime.combine(FIRST_DAY, time.min, tzinfo=timezone.utc)),
        _us(datetime.combine(LAST_DAY, time.min, tzinfo=timezone.utc)))

instants = st.one_of(
    st.integers(*SPAN),
    st.builds(lambda at, shift: at + shift, st.sampled_from(INSTANTS),
              st.sampled_from([-US, -1, 0, 1, US, 15 * 60 * US - 1])),
)
validation_rows = st.lists(st.tuples(
    st.sampled_from(sorted(ALGORITHMS)), instants,
    st.floats(0, 100).map(lambda q: round(q, 2)),
    st.floats(0, 1), st.floats(0.01, 50), st.integers(0, 500),
), min_size=1, max_size=25)


def add_catalogue(store) -> None:
    """Two domains and four algorithms, one of each type."""
    with store.write() as conn:
        conn.execute(domains.insert(), [{"id": d, "name": d.title()} for d in DOMAINS])
        conn.execute(algorithms.insert(), [
            {"id": a, "name": a.upper(), "domain_id": d, "type": t, "created_at": datetime(2024, 1, 1, tzinfo=timezone.utc)}
            for a, (d, t) in ALGORITHMS.items()])


def add_validations(store, rows) -> None:
    """Write ``rows`` (algorithm, microseconds, quality, confidence, speedup, tests) in one transaction."""
    frame = pd.DataFrame(rows, columns=["algorithm_id", "at", "quality", "confidence", "speedup", "tests"])
    frame["domain_id"] = frame["algorithm_id"].map(lambda a: ALGORITHMS[a][0])
    frame["created_at"] = pd.to_datetime(frame.pop("at"), unit="us", utc=True)
    with store.write() as conn:
        store.append_frame(conn, validations, frame)


def views(draw) -> Filters:
    """A random view: domains, types, algorithms, a date range (or none), granularity and zone."""
    start = draw(st.none() | st.dates(FIRST_DAY - timedelta(days=3), LAST_DAY))
    end = draw(st.none() | st.dates(start or FIRST_DAY, LAST_DAY + timedelta(days=3)))
    return Filters(
        domains=tuple(draw(st.lists(st.sampled_from(DOMAINS), max_size=1))),
        types=tuple(draw(st.lists(st.sampled_from(["novel", "hybrid", "baseline"]), max_size=2))),
        algorithms=tuple(draw(st.lists(st.sampled_from(sorted(ALGORITHMS)), max_size=2))),
        start=start, end=end,
        granularity=draw(st.sampled_from(["day", "week", "month"])),
        tz=draw(st.sampled_from(ZONES)),
    )


# -- comparisons -----------------------------------------------------------------------
def assert_same(rollup: pd.DataFrame, raw: pd.DataFrame, keys: list[str]) -> None:
    """Counts equal, everything else within 1e-9 relative (standard deviations 1e-6 absolute)."""
    rollup = rollup.sort_values(keys).reset_index(drop=True)
    raw = raw.sort_values(keys).reset_index(drop=True)
    assert list(rollup.columns) == list(raw.columns)
    assert rollup[keys].astype(str).equals(raw[keys].astype(str)), (rollup[keys], raw[keys])
    for column in rollup.columns:
        if column in keys:
            continue
        ours, theirs = rollup[column], raw[column]
        if pd.api.types.is_float_dtype(ours) or pd.api.types.is_float_dtype(theirs):
            # A variance from Σq² - (Σq)²/n is exact to rounding of the sums, not relative to a zero variance.
            absolute = 1e-6 if column in ("std_quality", "ci_low", "ci_high") else 1e-12
            np.testing.assert_allclose(ours.astype(float), theirs.astype(float), rtol=1e-9, atol=absolute,
                                       err_msg=column)
        else:
            assert ours.astype(str).tolist() == theirs.astype(str).tolist(), column


def both(function):
    """The function's answer from the rollups and from the raw table."""
    rollup = function()
    with reading_from("raw"):
        raw = function()
    return rollup, raw


def per_period(slots: pd.DataFrame, filters: Filters, keys: list[str], hours: bool = False) -> pd.DataFrame:
    """Slot sums re-bucketed as the pages do: per local period (or local hour) and key."""
    if slots.empty:
        return pd.DataFrame(columns=["period", *keys, "validations", "sum_quality"])
    label = (local_hour(slots["slot_start"], filters.tz) if hours
             else local_period_start(slots["slot_start"], filters.tz, filters.granularity))
    sums = slots.assign(period=label).groupby(["period", *keys], as_index=False)[["validations", "sum_quality"]].sum()
    return sums.astype({"validations": "int64"})


def compare_everything(store, filters: Filters, splits=(None, "domain", "type")) -> None:
    previous = filters.previous_period()
    keys = ["algorithm_id"] + (["period"] if previous else [])
    assert_same(*both(lambda: select_algorithm_metrics(store, filters, previous=previous)), keys)
    assert_same(*both(lambda: queries.select_domain_stats(store, filters)), ["domain_id"])
    for split in splits:
        split_keys = ["split"] if split else []
        assert_same(*both(lambda: queries.select_performance_trends(store, filters, rolling=2, split_by=split)),
                    ["period_start", *split_keys])
    assert_same(*both(lambda: queries.select_period_report(store, filters)), ["total_validations"])
    rollup, raw = both(lambda: select_algorithm_slot_sums(store, filters))
    assert_same(per_period(rollup, filters, ["algorithm_id"]), per_period(raw, filters, ["algorithm_id"]),
                ["period", "algorithm_id"])


# -- the property ----------------------------------------------------------------------
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(data=st.data())
def test_rollup_answers_equal_raw_answers(store, data):
    """Random writes (each folded in on write), then random views: rollups and raw rows agree."""
    if store.scalar(sa.select(sa.func.count()).select_from(algorithms)) == 0:
        add_catalogue(store)
    for _ in range(data.draw(st.integers(1, 3), label="writes")):
        add_validations(store, data.draw(validation_rows, label="rows"))
    for _ in range(2):
        split = data.draw(st.sampled_from([None, "domain", "type"]), label="split")
        compare_everything(store, views(data.draw), splits=(split,))
    assert check_rollups(store) == []


def test_zones_at_their_edges(store):
    """A validation on each side of every interesting instant, for every zone and granularity."""
    add_catalogue(store)
    rows = [("a1", at + shift, 50.0 + i % 40, 0.5, 1.5, 3) for i, at in enumerate(INSTANTS) for shift in (-1, 0)]
    add_validations(store, rows)
    for tz in ZONES:
        compare_everything(store, Filters(tz=tz, granularity="day"), splits=(None,))
        for granularity in ("week", "month"):
            compare_everything(store, Filters(tz=tz, granularity=granularity, start=date(2024, 3, 10),
                                              end=date(2024, 10, 27)), splits=(None,))


def test_offsets_off_the_quarter_hour_grid_read_raw_rows(store):
    """Africa/Monrovia was UTC-0:44:30 until 1972: its midnights cut quarter hours, which are read raw.

    (The raw path's 15-minute slots cannot place these rows: they assume offsets on the
    quarter-hour grid, true of every zone since 1972. So the check here is by hand.)
    """
    add_catalogue(store)
    midnight = _us(datetime(1971, 6, 2, tzinfo=ZoneInfo("Africa/Monrovia")).astimezone(timezone.utc))
    add_validations(store, [("a1", midnight + shift, 60.0 + k, 0.5, 2.0, 1)
                            for k, shift in enumerate((-US, -1, 0, 1, 600 * US))])
    filters = Filters(tz="Africa/Monrovia", granularity="day", start=date(1971, 6, 1), end=date(1971, 6, 3))
    trend = queries.select_performance_trends(store, filters)
    assert trend["validations"].tolist() == [2, 3]  # two before local midnight, three from it
    assert trend["mean_quality"].tolist() == pytest.approx([60.5, 63.0])
    june_2 = queries.select_domain_stats(store, filters.replace(start=date(1971, 6, 2), end=date(1971, 6, 2)))
    assert june_2["validations"].tolist() == [3] and june_2["min_quality"].tolist() == [62.0]


# -- maintenance -----------------------------------------------------------------------
def snapshot(store) -> dict[str, pd.DataFrame]:
    """Every rollup table's rows, sorted by key."""
    frames = {}
    for table in ROLLUPS.values():
        keys = [c.name for c in table.primary_key]
        frames[table.name] = store.read(sa.select(table)).sort_values(keys).reset_index(drop=True)
    return frames


def test_incremental_maintenance_equals_a_rebuild(store):
    add_catalogue(store)
    rng = np.random.default_rng(7)
    for write in range(4):
        ats = rng.integers(SPAN[0], SPAN[1], 40)
        add_validations(store, [(sorted(ALGORITHMS)[i % 4], int(at), float(rng.uniform(0, 100)), 0.5,
                                 float(rng.uniform(0.5, 3)), int(i)) for i, at in enumerate(ats)])
    incremental = snapshot(store)
    assert sum(len(frame) for frame in incremental.values()) > 0
    assert rebuild_rollups(store) == 160
    rebuilt = snapshot(store)
    for name, frame in incremental.items():
        keys = [c.name for c in ROLLUPS[next(k for k, t in ROLLUPS.items() if t.name == name)].primary_key]
        assert_same(frame, rebuilt[name], keys)
    assert check_rollups(store) == []


def test_a_tiny_quality_is_folded_in_on_both_databases(store):
    # PostgreSQL raises "value out of range: underflow" for 1e-200 * 1e-200; a square that small is 0.
    add_catalogue(store)
    at = SPAN[0] + 3600 * US
    add_validations(store, [("a1", at, 1e-200, 0.5, 1.0, 1), ("a1", at + US, 50.0, 0.5, 1.0, 1)])
    metrics = select_algorithm_metrics(store, Filters()).set_index("algorithm_id")
    # By hand: mean (1e-200 + 50) / 2 = 25; sample standard deviation |50 - 1e-200| / sqrt(2).
    assert metrics.loc["a1", "validations"] == 2
    assert metrics.loc["a1", "mean_quality"] == pytest.approx(25.0)
    assert metrics.loc["a1", "std_quality"] == pytest.approx(50 / np.sqrt(2))
    assert check_rollups(store) == []


def test_check_rollups_finds_drift(store):
    add_catalogue(store)
    add_validations(store, [("a1", SPAN[0] + 3_600 * US, 80.0, 0.5, 2.0, 4), ("b1", SPAN[0] + 90_000 * US, 30.0, 0.5, 1.0, 2)])
    assert check_rollups(store) == []
    table = ROLLUPS[("algorithm", "day")]
    with store.engine.begin() as conn:
        conn.execute(table.update().where(table.c.algorithm_id == "a1").values(sum_quality=table.c.sum_quality + 1))
    problems = check_rollups(store)
    assert len(problems) == 1 and problems[0].startswith("rollup_algorithm_days: 1 bucket(s) differ")
    with store.engine.begin() as conn:  # a row written behind the store's back, without the write hook
        conn.execute(validations.insert().values(algorithm_id="a2", domain_id="physics", quality=10.0, confidence=0.1,
                                                 speedup=1.0, tests=1, created_at=datetime(2024, 5, 1, tzinfo=timezone.utc)))
    problems = check_rollups(store)
    assert any(p.startswith("rollup_state: the watermark is") for p in problems)
    assert any(p.startswith("rollup_all_quarters: 1 bucket(s) differ") for p in problems)
    rebuild_rollups(store)
    assert check_rollups(store) == []


# -- the plan, by hand -------------------------------------------------------------------
def test_plan_uses_the_coarsest_blocks_and_raw_rows_off_the_grid():
    day, hour, quarter = GRAIN_US["day"], GRAIN_US["hour"], GRAIN_US["quarter"]
    start = 10 * day + 10 * hour + 7 * 60 * US  # day 10, 10:07
    stop = 13 * day + 5 * hour + 30 * 60 * US  # day 13, 05:30
    plan = plan_blocks(start, stop)
    assert plan.raw == [(start, 10 * day + 10 * hour + quarter)]
    assert plan.buckets["four_weeks"] == []
    assert plan.buckets["day"] == [(11, 13)]
    assert plan.buckets["hour"] == [(10 * 24 + 11, 11 * 24), (13 * 24, 13 * 24 + 5)]
    assert plan.buckets["quarter"] == [((10 * day + 10 * hour) // quarter + 1, (10 * day + 11 * hour) // quarter),
                                       ((13 * day + 5 * hour) // quarter, (13 * day + 5 * hour) // quarter + 2)]


def test_plan_splits_only_blocks_a_cut_falls_inside():
    day, hour = GRAIN_US["day"], GRAIN_US["hour"]
    cut = 2 * day + 18 * hour + 30 * 60 * US  # 18:30 UTC: midnight in Kolkata
    plan = plan_blocks(0, 5 * day, [cut, 4 * day])  # 4 * day falls on a day edge: no split
    assert plan.buckets["day"] == [(0, 2), (3, 5)]
    assert plan.buckets["hour"] == [(48, 48 + 18), (48 + 19, 72)]
    assert plan.buckets["quarter"] == [((2 * day + 18 * hour) // GRAIN_US["quarter"],
                                        (2 * day + 19 * hour) // GRAIN_US["quarter"])]
    assert plan.raw == []


def test_plan_reads_four_week_blocks_of_a_long_range():
    day, weeks4 = GRAIN_US["day"], GRAIN_US["four_weeks"]
    plan = plan_blocks(3 * day, 100 * day)  # blocks of 28 days start at days 0, 28, 56, 84
    assert plan.buckets["four_weeks"] == [(1, 3)]
    assert plan.buckets["day"] == [(3, 28), (84, 100)]
    assert weeks4 == 28 * day


def test_local_cuts_follow_offsets_and_dst():
    day = GRAIN_US["day"]
    base = _us(datetime(2024, 3, 30, tzinfo=timezone.utc))
    kolkata = local_cuts(base, base + 2 * day, "Asia/Kolkata", "day")
    assert kolkata == [base + 18 * 3_600 * US + 30 * 60 * US, base + day + 18 * 3_600 * US + 30 * 60 * US]
    paris = local_cuts(base, base + 2 * day, "Europe/Paris", "day")
    transition = _us(datetime(2024, 3, 31, 1, tzinfo=timezone.utc))  # 02:00 CET becomes 03:00 CEST
    assert paris == [base + 23 * 3_600 * US, transition, base + day + 22 * 3_600 * US]
