"""Rollups of the validations table, maintained on write: sums per time bucket, exact, small.

Three levels (per algorithm, per domain, all validations) times four UTC grains (quarter hour, hour, day, four weeks).
A row holds the sums every page needs (count, Σquality, Σquality², Σconfidence, Σspeedup,
max speedup, min quality, successes, Σtests, first and last timestamp) for one bucket
``floor(epoch seconds / grain)``. Readers combine grains (see ``queries/_plan.py``);
docs/rollups.md explains the design.

Every ``Store.write()`` calls :func:`refresh_rollups` before committing: rows with an id
above the watermark are folded in with INSERT ... SELECT ... ON CONFLICT DO UPDATE, in the
writer's transaction, so a reader never sees raw rows and rollups disagree.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.engine import Connection

from ..schema import metadata, validations as v

# Seconds per bucket. Four weeks (added by revision 0003) keep a year of an algorithm in 14 rows.
GRAINS = {"quarter": 900, "hour": 3600, "day": 86400, "four_weeks": 28 * 86400}
TABLE_SUFFIX = {"quarter": "quarters", "hour": "hours", "day": "days", "four_weeks": "four_weeks"}
LEVELS = ("algorithm", "domain", "all")  # "all": every validation, for views without a filter
SUCCESS_QUALITY = 70  # a validation with quality above this counts as a success
TINY_QUALITY = 1e-150  # see squared_quality
# Sums added up on conflict; the others keep the min or max.
ADDED = ("validations", "sum_quality", "sum_square_quality", "sum_confidence", "sum_speedup", "successes", "tests")


def _measure_columns() -> list[sa.Column]:
    return [
        sa.Column("validations", sa.BigInteger, nullable=False),
        sa.Column("sum_quality", sa.Double, nullable=False),
        sa.Column("sum_square_quality", sa.Double, nullable=False),
        sa.Column("sum_confidence", sa.Double, nullable=False),
        sa.Column("sum_speedup", sa.Double, nullable=False),
        sa.Column("max_speedup", sa.Double, nullable=False),
        sa.Column("min_quality", sa.Double, nullable=False),
        sa.Column("successes", sa.BigInteger, nullable=False),
        sa.Column("tests", sa.BigInteger, nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
    ]


def _rollup_table(level: str, grain: str) -> sa.Table:
    # The bucket leads the key: readers select bucket ranges, writers upsert by the whole key.
    keys = [sa.Column("bucket", sa.BigInteger, nullable=False, autoincrement=False)]
    if level == "algorithm":
        keys.append(sa.Column("algorithm_id", sa.String, nullable=False))
    if level != "all":
        # domain_id is part of the key (not looked up from algorithms) so that a rollup filters
        # exactly as the raw table does, whatever the raw rows say.
        keys.append(sa.Column("domain_id", sa.String, nullable=False))
    name = f"rollup_{level}_{TABLE_SUFFIX[grain]}"
    return sa.Table(name, metadata, *keys, *_measure_columns(),
                    sa.PrimaryKeyConstraint(*[c.name for c in keys], name=f"{name}_pkey"))


ROLLUPS: dict[tuple[str, str], sa.Table] = {(level, grain): _rollup_table(level, grain)
                                            for level in LEVELS for grain in GRAINS}

# One row: validations with an id up to ``watermark`` are in the rollups.
rollup_state = sa.Table(
    "rollup_state",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("watermark", sa.BigInteger, nullable=False),
)

# PostgreSQL only: the watermark scan and raw edge reads need them. DuckDB prunes with
# zone maps, and an index there slows bulk loads several-fold.
VALIDATION_INDEXES = (
    sa.Index("validations_id_idx", v.c.id).ddl_if(dialect="postgresql"),
    sa.Index("validations_created_at_idx", v.c.created_at).ddl_if(dialect="postgresql"),
)


def squared_quality() -> sa.ColumnElement:
    """quality², 0 for a quality under 1e-150: PostgreSQL refuses a float product that underflows
    ("value out of range: underflow"), and such a square (< 1e-300) moves no figure on a 0-100 scale."""
    return sa.case((v.c.quality < TINY_QUALITY, 0.0), else_=v.c.quality * v.c.quality)


def bucket_of(column: sa.ColumnElement, seconds: int) -> sa.ColumnElement:
    """``floor(epoch / seconds)`` of a timestamp: the bucket a validation falls in."""
    return sa.cast(sa.func.floor(sa.extract("epoch", column) / seconds), sa.BigInteger)


def raw_sums(grain_seconds: int, level: str, where=()) -> sa.Select:
    """The rollup rows the raw validations give (optionally restricted by ``where``)."""
    keys = [bucket_of(v.c.created_at, grain_seconds).label("bucket")]
    if level == "algorithm":
        keys.append(v.c.algorithm_id)
    if level != "all":
        keys.append(v.c.domain_id)
    return (
        sa.select(
            *keys,
            sa.func.count().label("validations"),
            sa.func.sum(v.c.quality).label("sum_quality"),
            sa.func.sum(squared_quality()).label("sum_square_quality"),
            sa.func.sum(v.c.confidence).label("sum_confidence"),
            sa.func.sum(v.c.speedup).label("sum_speedup"),
            sa.func.max(v.c.speedup).label("max_speedup"),
            sa.func.min(v.c.quality).label("min_quality"),
            sa.func.sum(sa.case((v.c.quality > SUCCESS_QUALITY, 1), else_=0)).label("successes"),
            sa.func.sum(v.c.tests).label("tests"),
            sa.func.min(v.c.created_at).label("first_at"),
            sa.func.max(v.c.created_at).label("last_at"),
        )
        .where(*where)
        .group_by(*[k for k in keys])
    )


def refresh_rollups(conn: Connection) -> int:
    """Fold validations above the watermark into every rollup and advance it; returns the rows folded.

    Runs inside the writer's transaction (a ``Store`` write hook). Ids increase in commit
    order (a sequence, and on PostgreSQL an advisory lock serialising writers), so rows
    above the watermark are exactly the ones not yet folded in.
    """
    watermark = _watermark(conn)
    newest, count = conn.execute(
        sa.select(sa.func.max(v.c.id), sa.func.count()).where(v.c.id > watermark)).one()
    if newest is None:
        return 0
    new_rows = (v.c.id > watermark, v.c.id <= newest)
    for (level, grain), table in ROLLUPS.items():
        conn.execute(_upsert(table, raw_sums(GRAINS[grain], level, new_rows)))
    conn.execute(rollup_state.update().where(rollup_state.c.id == 1).values(watermark=newest))
    return count


def _upsert(table: sa.Table, rows: sa.Select) -> sa.Executable:
    stmt = upsert(table).from_select([c.name for c in table.c], rows)
    new, old = stmt.excluded, table.c
    changes = {name: old[name] + new[name] for name in ADDED}
    changes |= {
        "max_speedup": sa.func.greatest(old.max_speedup, new.max_speedup),
        "min_quality": sa.func.least(old.min_quality, new.min_quality),
        "first_at": sa.func.least(old.first_at, new.first_at),
        "last_at": sa.func.greatest(old.last_at, new.last_at),
    }
    return stmt.on_conflict_do_update(index_elements=[c.name for c in table.primary_key], set_=changes)


def _watermark(conn: Connection) -> int:
    value = conn.execute(sa.select(rollup_state.c.watermark).where(rollup_state.c.id == 1)).scalar()
    if value is None:  # a store created before its first write hook ran
        conn.execute(rollup_state.insert().values(id=1, watermark=0))
        return 0
    return value


def clear_rollups(conn: Connection) -> None:
    """Empty every rollup and reset the watermark (inside the caller's transaction)."""
    for table in ROLLUPS.values():
        conn.execute(table.delete())
    conn.execute(rollup_state.delete())


def rebuild_rollups(store) -> int:
    """Rebuild every rollup from the raw validations in one transaction; returns the rows folded."""
    with store.write() as conn:
        clear_rollups(conn)
        return refresh_rollups(conn)


def register_rollups(store):
    """Make every write through ``store`` maintain the rollups (``open_store`` calls it); returns the store."""
    store.add_write_hook(refresh_rollups)
    return store


@dataclass(frozen=True)
class Drift:
    """How one rollup table differs from the raw rows."""

    table: str
    differing: int
    example: dict | None

    def describe(self) -> str:
        return f"{self.table}: {self.differing:,} bucket(s) differ from the raw validations (first: {self.example})"


def check_rollups(store) -> list[str]:
    """Describe every way the rollups differ from the raw validations; empty when they are exact."""
    with store.engine.connect() as conn:
        problems = []
        watermark = conn.execute(sa.select(rollup_state.c.watermark)).scalar() or 0
        newest = conn.execute(sa.select(sa.func.max(v.c.id))).scalar() or 0
        if newest != watermark:
            problems.append(f"rollup_state: the watermark is {watermark:,} but the newest validation id is {newest:,}")
        for (level, grain), table in ROLLUPS.items():
            drift = _table_drift(conn, table, raw_sums(GRAINS[grain], level).subquery("expected"))
            if drift.differing:
                problems.append(drift.describe())
        return problems


def _table_drift(conn: Connection, table: sa.Table, expected: sa.Subquery) -> Drift:
    keys = [c.name for c in table.primary_key]
    stored = table.alias("stored")
    joined = expected.join(stored, sa.and_(*[expected.c[k] == stored.c[k] for k in keys]), full=True)
    exact = ("validations", "successes", "tests", "first_at", "last_at", "max_speedup", "min_quality")
    summed = ("sum_quality", "sum_square_quality", "sum_confidence", "sum_speedup")
    differs = sa.or_(
        *[expected.c[name].is_distinct_from(stored.c[name]) for name in exact],
        # Sums added in another order may differ in the last bits: compare within 1e-9 relative.
        *[sa.func.abs(expected.c[name] - stored.c[name])
          > 1e-9 * sa.func.greatest(sa.func.abs(expected.c[name]), 1.0) for name in summed],
    )
    count = conn.execute(sa.select(sa.func.count()).select_from(joined).where(differs)).scalar_one()
    example = None
    if count:
        row = conn.execute(sa.select(*[sa.func.coalesce(expected.c[k], stored.c[k]).label(k) for k in keys])
                           .select_from(joined).where(differs).limit(1)).one()
        example = dict(row._mapping)
    return Drift(table.name, count, example)
