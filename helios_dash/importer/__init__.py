"""Import validation records from a CSV or Parquet file into the analytics store.

A file is imported whole or not at all, and memory stays bounded however large
it is, so the file is read in chunks twice over:

1. Every chunk is checked with vectorised pandas/numpy code. Bad rows are
   counted and the first ones described; names get their ids and new domains
   and algorithms are noted; while no row is bad, the normalised rows are
   spilled to a temporary Parquet file (cheaper than parsing the source again).
2. Only when no row was bad, one ``store.write()`` transaction refuses the file
   if a record id comes with other content than the store's or an earlier
   line's, then inserts the first row of each ``record_key`` that the store does
   not hold yet, and the new domains and algorithms those rows refer to. DuckDB
   reads the spill file itself; other databases get it through a temporary table.

Line numbers in messages are those a person sees in a CSV file (the header is
line 1) as long as no quoted value spans several lines; Parquet files are
described by row number, starting at 1. The spill lives in a folder of its own
that is removed on exit and on SIGTERM/SIGINT/SIGHUP, and swept by the next
import if a SIGKILL left it behind.
"""
from __future__ import annotations

import os
from pathlib import Path

from ..store import Store
from .catalog import Catalog
from .checks import MAX_TESTS, check_file
from .reading import CHUNK_ROWS
from .report import MAX_DETAILS, MAX_NAMED
from .scratch import scratch_folder
from .sources import (COLUMNS, CSV_EXTENSIONS, OPTIONAL_COLUMNS, PARQUET_EXTENSIONS, REQUIRED_COLUMNS,
                      open_source, parse_column_map)
from .timestamps import EPOCH_UNITS, Timestamps
from .writing import ImportResult, write

__all__ = [
    "import_file", "ImportResult", "parse_column_map",
    "REQUIRED_COLUMNS", "OPTIONAL_COLUMNS", "COLUMNS", "CSV_EXTENSIONS", "PARQUET_EXTENSIONS",
    "CHUNK_ROWS", "MAX_DETAILS", "MAX_NAMED", "MAX_TESTS", "EPOCH_UNITS",
]


def import_file(store: Store, path: str | os.PathLike, column_map: dict[str, str] | None = None,
                progress: bool = False, epoch: str | None = None, in_transaction=None) -> ImportResult:
    """Import the validation records of a CSV or Parquet file; all or nothing, duplicates skipped.

    ``epoch`` ("s" or "ms") reads ``created_at`` as epoch seconds or milliseconds (UTC);
    without it, a column of nothing but 10-digit (or 13-digit) numbers is read so too.
    ``in_transaction(conn, first_id, inserted)`` runs in the write's transaction when rows were inserted.
    """
    timestamps = Timestamps(epoch)
    source = open_source(Path(path), column_map or {})
    catalog = Catalog(store)
    with scratch_folder() as folder:
        spill = folder / "rows.parquet"
        checked = check_file(source, catalog, timestamps, spill, progress)
        if checked.report.bad_rows:
            raise checked.report.error()
        notes = [note for note in [timestamps.note()] if note]
        return write(store, catalog, spill, checked, notes, progress, in_transaction)
