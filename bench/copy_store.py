"""Benchmark: ``helios-dash migrate-store`` of a DuckDB store with 1M demo validations into PostgreSQL.

    .venv/bin/python bench/copy_store.py [--validations 1000000] [--runs 3]

Each run copies the same DuckDB file into a new throwaway PostgreSQL database (the local
server, as tests/databases.py). Two paths are timed in rounds, so a burst of load on a
shared machine hits both alike:

  bare COPY     the floor: DuckDB's Arrow reader -> CSV -> one COPY per table in one
                transaction, no checks, no sequences, no rollups
  copy_store    the command: the same COPY plus the source checksum, sequences, ANALYZE,
                reading back and checksumming every table, and rebuilding the rollups

Prints the median seconds and rows/s (validations only) of each, the ratio against the
bare COPY, and copy_store's phases (copy incl. source checksum, check, rollups).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helios_dash.data import copy_store as copying  # noqa: E402
from helios_dash.data.arrow_tables import table_writer  # noqa: E402
from helios_dash.data.copy_source import open_source, source_batches  # noqa: E402
from helios_dash.demo import seed_demo  # noqa: E402
from helios_dash.store import open_store  # noqa: E402
from tests.databases import postgres_database  # noqa: E402

PHASES = {"copy": "_copy_table", "check": "_verify", "rollups": "_rebuild_rollups_in"}


def _seed(folder: Path, validations: int) -> str:
    url = f"duckdb:///{folder / 'source.duckdb'}"
    store = open_store(url)
    try:
        seed_demo(store, validations=validations, progress=False)
    finally:
        store.close()
    return url


def bare_copy(source_url: str, target_url: str) -> None:
    """The floor: every table streamed with COPY in one transaction, nothing checked."""
    open_store(target_url).close()
    source = open_source(source_url)
    target = sa.create_engine(target_url)
    try:
        with target.begin() as conn:
            for table in copying.tables_to_copy():
                with table_writer(conn, table) as write:
                    for batch in source_batches(source, table, copying.BATCH_ROWS):
                        write(batch)
    finally:
        source.dispose()
        target.dispose()


def timed_copy_store(source_url: str, target_url: str) -> dict[str, float]:
    """copy_store with the seconds spent in each phase."""
    spent = dict.fromkeys(PHASES, 0.0)
    originals = {phase: getattr(copying, name) for phase, name in PHASES.items()}

    def timing(phase, function):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[phase] += time.perf_counter() - started
        return wrapper

    for phase, name in PHASES.items():
        setattr(copying, name, timing(phase, originals[phase]))
    try:
        result = copying.copy_store(source_url, target_url, progress=False)
    finally:
        for phase, name in PHASES.items():
            setattr(copying, name, originals[phase])
    return {"total": result.seconds, **spent}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--validations", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        source_url = _seed(Path(folder), args.validations)
        print(f"seeded {args.validations:,} validations in {time.perf_counter() - started:.1f} s")
        bare, full = [], []
        for _ in range(args.runs):
            with postgres_database() as target_url:
                started = time.perf_counter()
                bare_copy(source_url, target_url)
                bare.append(time.perf_counter() - started)
            with postgres_database() as target_url:
                full.append(timed_copy_store(source_url, target_url))
    floor = statistics.median(bare)
    total = statistics.median(run["total"] for run in full)
    print(f"{'path':<12} {'median s':>9} {'rows/s':>10} {'ratio':>6}")
    print(f"{'bare COPY':<12} {floor:>9.2f} {args.validations / floor:>10,.0f} {1:>6.2f}")
    print(f"{'copy_store':<12} {total:>9.2f} {args.validations / total:>10,.0f} {total / floor:>6.2f}")
    phases = ", ".join(f"{phase} {statistics.median(run[phase] for run in full):.2f} s" for phase in PHASES)
    without_rollups = total - statistics.median(run["rollups"] for run in full)
    print(f"copy_store phases (median): {phases}; without rollups {without_rollups:.2f} s "
          f"= {args.validations / without_rollups:,.0f} rows/s")


if __name__ == "__main__":
    main()
