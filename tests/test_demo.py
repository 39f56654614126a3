"""The demo generator: deterministic, within the schema's ranges, and with real structure."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import NamedTuple

import pandas as pd
import pytest
import sqlalchemy as sa

from helios_dash import schema
from helios_dash.demo import SeedResult, seed_demo
from helios_dash.demo import generator
from helios_dash.errors import BadRequest, Conflict
from helios_dash.filters import ALGORITHM_TYPES
from helios_dash.naming import slugify
from helios_dash.store import Store, open_store

NOW = datetime(2025, 6, 30, 12, tzinfo=timezone.utc)
DAYS = 365
ROWS = 40_000
REQUIRED_DOMAINS = {"Quantum", "Optimization", "Machine Learning", "Cryptography", "Bioinformatics",
                    "Materials Science", "Climate Modelling", "Graph Algorithms"}


class Demo(NamedTuple):
    result: SeedResult
    domains: pd.DataFrame
    algorithms: pd.DataFrame
    validations: pd.DataFrame


def _read(store: Store, table: sa.Table) -> pd.DataFrame:
    return store.read(sa.select(table).order_by(table.c.id))


def _seed_new(directory, name: str, **kwargs) -> Demo:
    store = open_store(f"duckdb:///{directory / name}")
    try:
        result = seed_demo(store, **{"validations": ROWS, "now": NOW, **kwargs})
        tables = (schema.domains, schema.algorithms, schema.validations)
        return Demo(result, *(_read(store, table) for table in tables))
    finally:
        store.close()


def _row_counts(store: Store) -> list[int]:
    return [store.scalar(sa.select(sa.func.count()).select_from(t))
            for t in (schema.domains, schema.algorithms, schema.validations)]


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Demo:
    """One seeded store (seed 42), read back once and shared by the read-only tests."""
    return _seed_new(tmp_path_factory.mktemp("demo"), "demo.duckdb")


# -- determinism --------------------------------------------------------------
def test_same_seed_and_now_give_identical_data(demo, tmp_path):
    again = _seed_new(tmp_path, "again.duckdb")
    for mine, theirs in zip(demo[1:], again[1:]):
        pd.testing.assert_frame_equal(mine, theirs)


def test_different_seed_gives_different_data(demo, tmp_path):
    other = _seed_new(tmp_path, "other.duckdb", seed=7)
    # Same catalogue, different draws.
    assert other.algorithms["name"].tolist() == demo.algorithms["name"].tolist()
    assert (other.algorithms["author_email"] != demo.algorithms["author_email"]).any()
    assert (other.validations["quality"] != demo.validations["quality"]).mean() > 0.9
    assert (other.validations["created_at"] != demo.validations["created_at"]).mean() > 0.9


# -- catalogue ----------------------------------------------------------------
def test_result_counts_match_the_rows_written(demo):
    assert demo.result == SeedResult(domains=len(demo.domains), algorithms=len(demo.algorithms),
                                     validations=ROWS)
    assert len(demo.validations) == ROWS


def test_domains_cover_the_required_fields(demo):
    assert len(demo.domains) >= 10
    assert REQUIRED_DOMAINS <= set(demo.domains["name"])
    assert (demo.domains["id"] == demo.domains["name"].map(slugify)).all()
    assert demo.domains["description"].str.fullmatch(r"[A-Z][^.]+\.").all()  # one sentence each


def test_algorithms_are_many_unique_and_of_every_type(demo):
    algorithms = demo.algorithms
    assert len(algorithms) >= 150
    assert algorithms["name"].is_unique and algorithms["id"].is_unique
    assert (algorithms["id"] == algorithms["name"].map(slugify)).all()
    assert set(algorithms["type"]) == set(ALGORITHM_TYPES)
    baselines = algorithms.loc[algorithms["type"] == "baseline", "domain_id"]
    assert set(baselines) == set(demo.domains["id"])  # every domain has a baseline
    assert algorithms["author_email"].str.fullmatch(r"[a-z]+\.[a-z]+@helios-lab\.org").all()
    assert (algorithms["description"].str.len() > 30).all()
    assert (algorithms["internal_notes"].str.len() > 30).all()


def test_algorithms_are_created_before_their_first_validation(demo):
    first = demo.validations.groupby("algorithm_id")["created_at"].min()
    created = demo.algorithms.set_index("id")["created_at"].reindex(first.index)
    assert (created < first).all()
    assert str(demo.algorithms["created_at"].dtype) == "datetime64[us, UTC]"


# -- ranges -------------------------------------------------------------------
def test_values_respect_the_schema_ranges(demo):
    v = demo.validations
    assert v["quality"].between(0, 100).all() and v["confidence"].between(0, 1).all()
    assert (v["speedup"] > 0).all() and (v["tests"] >= 0).all()
    assert v["validator"].notna().all() and v["validator"].nunique() >= 5
    hypotheses = v["hypothesis_id"].dropna()
    assert hypotheses.str.fullmatch(r"hyp-\d{6}").all() and 0.1 < v["hypothesis_id"].isna().mean() < 0.5
    assert v["record_key"].isna().all()


def test_ids_are_sequential_and_rows_sorted_by_time_within_the_range(demo):
    v = demo.validations
    assert v["id"].tolist() == list(range(1, ROWS + 1))
    assert v["created_at"].is_monotonic_increasing
    assert v["created_at"].min() >= NOW - timedelta(days=DAYS) and v["created_at"].max() <= NOW
    assert str(v["created_at"].dtype) == "datetime64[us, UTC]"


def test_each_validation_carries_its_algorithms_domain(demo):
    domain_of = demo.algorithms.set_index("id")["domain_id"]
    assert (demo.validations["algorithm_id"].map(domain_of) == demo.validations["domain_id"]).all()


# -- structure ----------------------------------------------------------------
def test_weekdays_and_working_hours_are_busier(demo):
    at = demo.validations["created_at"]
    per_day = at.dt.floor("D").value_counts()
    weekend = per_day.index.day_of_week >= 5
    assert per_day[~weekend].mean() > 2 * per_day[weekend].mean()
    assert 9 <= at.dt.hour.value_counts().idxmax() <= 17


def test_domains_have_their_own_quality_level(demo):
    by_domain = demo.validations.groupby("domain_id")["quality"].mean()
    assert by_domain.max() - by_domain.min() > 5
    assert by_domain["cryptography"] > by_domain["climate-modelling"] + 10


def test_some_algorithms_improve_and_some_regress(demo):
    v = demo.validations
    start = NOW - timedelta(days=DAYS)
    def quality_by_algorithm(rows):
        return rows.groupby("algorithm_id")["quality"].agg(["mean", "size"])

    first = quality_by_algorithm(v[v["created_at"] < start + timedelta(days=60)])
    last = quality_by_algorithm(v[v["created_at"] >= NOW - timedelta(days=60)])
    both = first.merge(last, left_index=True, right_index=True, suffixes=("_first", "_last"))
    change = both.loc[(both["size_first"] >= 10) & (both["size_last"] >= 10)].eval("mean_last - mean_first")
    assert change.max() > 5 and change.min() < -5
    assert (change.abs() < 3).mean() > 0.4  # most hold steady


def test_algorithms_are_introduced_over_time(demo):
    first = demo.validations.groupby("algorithm_id")["created_at"].min()
    late = first > NOW - timedelta(days=DAYS - 30)
    assert 0.1 < late.mean() < 0.5


def test_speedups_and_confidence_follow_type_and_tests(demo):
    v = demo.validations.merge(demo.algorithms[["id", "type"]], left_on="algorithm_id", right_on="id")
    medians = v.groupby("type")["speedup"].median()
    assert 0.95 < medians["baseline"] < 1.05 < medians["improved"] and medians["baseline"] < medians["novel"]
    assert v["tests"].corr(v["confidence"]) > 0.5


# -- writing ------------------------------------------------------------------
def test_chunks_are_written_in_time_order_with_progress(store, monkeypatch, capsys):
    monkeypatch.setattr(generator, "CHUNK_ROWS", 1_000)
    seed_demo(store, validations=8_000, now=NOW, progress=True)
    v = _read(store, schema.validations)
    assert v["id"].tolist() == list(range(1, 8_001))
    assert v["created_at"].is_monotonic_increasing
    assert "Seeding validations" in capsys.readouterr().err


def test_seeding_a_non_empty_store_raises_conflict_and_changes_nothing(store):
    seed_demo(store, validations=1_000, now=NOW)
    version, counts = store.data_version(), _row_counts(store)
    with pytest.raises(Conflict, match="already holds data"):
        seed_demo(store, validations=1_000, now=NOW, seed=1)
    assert store.data_version() == version and _row_counts(store) == counts


def test_a_failed_seed_leaves_the_store_empty(store, monkeypatch):
    monkeypatch.setattr(generator, "CHUNK_ROWS", 1_000)
    real_append, appended = Store.append_frame, []

    def failing_append(self, conn, table, frame):
        if appended.count("validations") == 2:  # the third chunk fails
            raise RuntimeError("disk full")
        appended.append(table.name)
        real_append(self, conn, table, frame)

    monkeypatch.setattr(Store, "append_frame", failing_append)
    version = store.data_version()
    with pytest.raises(RuntimeError, match="disk full"):
        seed_demo(store, validations=5_000, now=NOW)
    assert appended == ["domains", "algorithms", "validations", "validations"]
    assert _row_counts(store) == [0, 0, 0]
    assert store.data_version() == version


def test_default_now_is_the_current_hour(store):
    before = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    seed_demo(store, validations=2_000, days=30)
    after = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    at = _read(store, schema.validations)["created_at"]
    assert at.min() >= before - timedelta(days=30) and at.max() < after


@pytest.mark.parametrize("arguments", [{"validations": -1}, {"days": 0}])
def test_rejects_impossible_sizes(store, arguments):
    with pytest.raises(BadRequest):
        seed_demo(store, now=NOW, **arguments)
    assert _row_counts(store) == [0, 0, 0]
