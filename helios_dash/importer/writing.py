"""Pass 2: the spilled rows with new keys, and the catalog entries they need, written in one transaction."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from tqdm import tqdm

from ..schema import algorithms, domains, validations
from ..store import Store
from .catalog import Catalog
from .checks import Checked
from .reading import CHUNK_ROWS
from .report import MAX_DETAILS, Report, show
from .spill import SPILL_SCHEMA

# What a record holds, as stored: two records under one id must agree on all of it.
CONTENT = ("algorithm_id", "domain_id", "hypothesis_id", "quality", "confidence", "speedup", "tests",
           "validator", "created_at")
_FILE_COLUMN = {"algorithm_id": "algorithm", "domain_id": "domain", "hypothesis_id": "hypothesis"}


@dataclass(frozen=True)
class ImportResult:
    """What an import did: rows read, inserted, skipped as duplicates, new catalog entries, and notes."""

    rows_read: int
    inserted: int
    duplicates: int
    domains_created: int
    algorithms_created: int
    notes: tuple[str, ...] = ()  # sentences for the summary: epoch times read, ids given a suffix


class _NothingNew(Exception):
    """Raised inside ``store.write()`` to roll back, so a no-op import leaves the data version alone."""


def write(store: Store, catalog: Catalog, spill: Path, checked: Checked, notes: list[str],
          progress: bool, in_transaction=None) -> ImportResult:
    """Pass 2: refuse ids given other content; insert the spilled rows whose keys are new, in one transaction."""
    rows_read = checked.rows_read
    try:
        with store.write() as conn:
            rows, stage = _spilled_rows(store, conn, spill, progress)
            if checked.has_ids:
                _refuse_conflicting_ids(conn, rows, checked.report)
            inserted = conn.execute(sa.select(sa.func.count()).select_from(_new_record_lines(rows))).scalar_one()
            if not inserted:
                raise _NothingNew
            # One block of ids for the whole file, numbered in line order (writers hold the write lock).
            first_id = store.reserve_ids(conn, inserted)
            conn.execute(_insert_new_records(rows, first_id))
            if stage is not None:
                stage.drop(conn)
            new_domains, new_algorithms = _still_new(conn, *catalog.rows_for(
                _algorithms_between(conn, first_id, inserted)))
            store.append_frame(conn, domains, new_domains)  # before algorithms: their foreign key
            store.append_frame(conn, algorithms, new_algorithms)
            if in_transaction is not None:  # e.g. the API's batch event (webhooks' outbox)
                in_transaction(conn, first_id, inserted)
    except _NothingNew:
        return ImportResult(rows_read, 0, rows_read, 0, 0, tuple(notes))
    created = {"domain": set(new_domains.get("id", ())), "algorithm": set(new_algorithms.get("id", ()))}
    return ImportResult(rows_read, inserted, rows_read - inserted, len(new_domains), len(new_algorithms),
                        tuple(notes + catalog.notes(created)))


def _spilled_rows(store: Store, conn: Connection, spill: Path,
                  progress: bool) -> tuple[sa.FromClause, sa.Table | None]:
    """The spilled rows as SQL can read them, and the temporary table to drop after, if any."""
    if store.is_duckdb:
        # DuckDB-only: read_parquet scans the spill file itself. Measured on 2M rows,
        # copying them into a temporary table first took longer than the whole INSERT
        # and held them all in memory until the commit.
        return sa.func.read_parquet(str(spill)).table_valued(*SPILL_SCHEMA.names), None
    stage = _stage(store, conn, spill, progress)
    return stage, stage


def _refuse_conflicting_ids(conn: Connection, rows: sa.FromClause, report: Report) -> None:
    """Raise BadRequest (rolling the transaction back) for rows whose id comes with other content."""
    found = conn.execute(_conflicts(rows)).mappings().all()
    if not found:
        return
    report.add_described(found[0]["total"], [_conflict_detail(row, report.unit) for row in found])
    raise report.error()


def _conflicts(rows: sa.FromClause) -> sa.Select:
    """The first rows whose id is stored, or earlier in the file, with other content; and how many in all.

    A stored record is the reference for its id; else the id's first line in the file is.
    Files without ids never get here, and only repeated or stored ids are compared.
    """
    keyed = rows.c.record_key.like("id:%")
    stored = validations.alias("stored")
    against_store = (sa.select(rows.c.line, rows.c.record_key, sa.null().label("first_line"),
                               stored.c.id.label("stored_id"), *_differences(rows, stored))
                     .join_from(rows, stored, stored.c.record_key == rows.c.record_key)
                     .where(keyed, sa.or_(*_differences(rows, stored))))
    repeated = (sa.select(rows.c.record_key, sa.func.min(rows.c.line).label("line")).where(keyed)
                .group_by(rows.c.record_key).having(sa.func.count() > 1).subquery("repeated"))
    first = rows.alias("first_row")
    against_file = (sa.select(rows.c.line, rows.c.record_key, repeated.c.line.label("first_line"),
                              sa.null().label("stored_id"), *_differences(rows, first))
                    .join_from(rows, repeated, repeated.c.record_key == rows.c.record_key)
                    .join(first, first.c.line == repeated.c.line)
                    .where(rows.c.line > repeated.c.line, sa.or_(*_differences(rows, first)),
                           ~sa.exists().where(validations.c.record_key == rows.c.record_key)))
    both = sa.union_all(against_store, against_file).subquery("conflicts")
    return sa.select(both, sa.func.count().over().label("total")).order_by(both.c.line).limit(MAX_DETAILS)


def _differences(rows: sa.FromClause, reference: sa.FromClause) -> list[sa.ColumnElement]:
    return [rows.c[name].is_distinct_from(reference.c[name]).label(f"differs_{name}") for name in CONTENT]


def _conflict_detail(row, unit: str) -> dict:
    differing = ", ".join(_FILE_COLUMN.get(name, name) for name in CONTENT if row[f"differs_{name}"])
    record_id = show(row["record_key"].removeprefix("id:"))
    where = (f"is stored already as validation {row['stored_id']}" if row["stored_id"] is not None
             else f"is also on {unit} {row['first_line']}")
    return {"line": row["line"], "field": "id", "message": f"{record_id} {where} with other values ({differing})"}


def _stage(store: Store, conn: Connection, spill: Path, progress: bool) -> sa.Table:
    """The portable path (PostgreSQL): the spilled rows in a temporary table of this transaction."""
    stage = sa.Table("_helios_import", sa.MetaData(), sa.Column("line", sa.BigInteger),
                     *(sa.Column(c.name, c.type) for c in validations.columns if c.name != "id"),
                     prefixes=["TEMPORARY"])
    stage.create(conn)
    spilled = pq.ParquetFile(spill)
    with tqdm(total=spilled.metadata.num_rows, unit=" rows", unit_scale=True, desc="staging",
              disable=not progress) as bar:
        for batch in spilled.iter_batches(CHUNK_ROWS):
            store.append_frame(conn, stage, batch.to_pandas())  # COPY: a missing value is NULL
            bar.update(batch.num_rows)
    return stage


def _new_record_lines(rows: sa.FromClause) -> sa.Subquery:
    """The first line of each record key the store does not hold yet.

    Only (line, key) pairs are grouped and numbered, never whole rows: that kept the
    database's working memory small on files of millions of rows.
    """
    stored = sa.exists().where(validations.c.record_key == rows.c.record_key)
    first_line = sa.func.min(rows.c.line).label("line")
    return sa.select(first_line).where(~stored).group_by(rows.c.record_key).subquery()


def _insert_new_records(rows: sa.FromClause, first_id: int) -> sa.Insert:
    """INSERT the first row of each key not stored yet, with ids from ``first_id`` in line order."""
    kept = _new_record_lines(rows)
    new_id = (sa.func.row_number().over(order_by=kept.c.line) + (first_id - 1)).label("id")
    numbered = sa.select(kept.c.line, new_id).subquery()
    columns = [c.name for c in validations.columns if c.name != "id"]
    query = sa.select(numbered.c.id, *(rows.c[name] for name in columns)).join_from(
        rows, numbered, rows.c.line == numbered.c.line)
    return validations.insert().from_select(["id", *columns], query)


def _still_new(conn: Connection, new_domains: pd.DataFrame,
               new_algorithms: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Drop the catalog entries another import created since pass 1 read the catalog.

    Pass 1 runs outside the write lock; two files naming the same new domain, imported at
    once (possible on PostgreSQL), would otherwise both insert it.
    """
    return _not_stored(conn, domains, new_domains), _not_stored(conn, algorithms, new_algorithms)


def _not_stored(conn: Connection, table: sa.Table, rows: pd.DataFrame) -> pd.DataFrame:
    if rows.empty:
        return rows
    stored = set(conn.execute(sa.select(table.c.id).where(table.c.id.in_(rows["id"].tolist()))).scalars())
    return rows[~rows["id"].isin(stored)].reset_index(drop=True)


def _algorithms_between(conn: Connection, first_id: int, count: int) -> set[str]:
    """The algorithms of the rows this import inserted (ids ``first_id`` onwards)."""
    query = (sa.select(validations.c.algorithm_id)
             .where(validations.c.id.between(first_id, first_id + count - 1)).distinct())
    return set(conn.execute(query).scalars())
