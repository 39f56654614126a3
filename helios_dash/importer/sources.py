"""The source file: its type, its header, the column map, and its rows in chunks."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import BadRequest

REQUIRED_COLUMNS = ("algorithm", "domain", "quality", "confidence", "speedup", "tests", "created_at")
OPTIONAL_COLUMNS = ("algorithm_type", "validator", "hypothesis", "id")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
CSV_EXTENSIONS = (".csv", ".csv.gz")
PARQUET_EXTENSIONS = (".parquet", ".pq")

CHUNK_ROWS = 100_000  # measured: twice this adds ~120 MB of peak memory and saves no time

# Read as text so that messages can quote what the file says and ids such as
# "007" keep their zeros; the numeric columns are left to pandas' fast parser.
TEXT_COLUMNS = ("algorithm", "domain", "created_at", "algorithm_type", "validator", "hypothesis", "id")


def parse_column_map(items: list[str]) -> dict[str, str]:
    """Parse ``["old=new", ...]`` (the CLI's ``--map``) into ``{"old": "new"}``."""
    mapping: dict[str, str] = {}
    for item in items:
        old, sep, new = (part.strip() for part in item.partition("="))
        if not (sep and old and new):
            raise BadRequest(f"bad column mapping {item!r}: expected old=new, e.g. score=quality")
        if old in mapping:
            raise BadRequest(f"column {old!r} is mapped twice")
        mapping[old] = new
    _check_targets(mapping)
    return mapping


@dataclass(frozen=True)
class Source:
    path: Path
    is_csv: bool
    renames: dict[str, str]  # file column -> importer column, for the columns used

    @property
    def unit(self) -> str:
        return "line" if self.is_csv else "row"


def open_source(path: Path, column_map: dict[str, str]) -> Source:
    is_csv = _is_csv(path)
    if not path.is_file():
        raise BadRequest(f"file not found: {path}")
    header = _csv_header(path) if is_csv else _parquet_header(path)
    return Source(path, is_csv, _resolve_columns(header, column_map, path.name))


def _is_csv(path: Path) -> bool:
    name = path.name.lower()
    if name.endswith(CSV_EXTENSIONS):
        return True
    if name.endswith(PARQUET_EXTENSIONS):
        return False
    supported = ", ".join(CSV_EXTENSIONS + PARQUET_EXTENSIONS)
    raise BadRequest(f"cannot import {path.name}: supported file types are {supported}")


def _csv_header(path: Path) -> list[str]:
    try:
        return [str(name) for name in pd.read_csv(path, nrows=0, compression=compression(path)).columns]
    except pd.errors.EmptyDataError:
        raise BadRequest(f"{path.name} is empty: expected a header line") from None
    except (ValueError, OSError) as exc:  # pandas' ParserError and gzip's errors
        raise BadRequest(f"cannot read {path.name}: {exc}") from None


def compression(path: Path) -> str | None:
    return "gzip" if path.name.lower().endswith(".gz") else None


def _parquet_header(path: Path) -> list[str]:
    try:
        return list(pq.ParquetFile(path).schema_arrow.names)
    except (pa.ArrowException, OSError) as exc:
        raise BadRequest(f"cannot read {path.name} as Parquet: {exc}") from None


def _check_targets(column_map: dict[str, str]) -> None:
    unknown = sorted(set(column_map.values()) - set(COLUMNS))
    if unknown:
        raise BadRequest(f"cannot map to unknown column(s) {', '.join(unknown)}; "
                         f"the columns are {', '.join(COLUMNS)}")


def _resolve_columns(header: list[str], column_map: dict[str, str], name: str) -> dict[str, str]:
    _check_targets(column_map)
    stripped = {column.strip(): column for column in header}
    absent = [old for old in column_map if old not in stripped]
    if absent:
        raise BadRequest(f"{name} has no column(s) {', '.join(absent)} to map")
    renames: dict[str, str] = {}
    for clean, original in stripped.items():
        target = column_map.get(clean, clean)
        if target in renames.values():
            raise BadRequest(f"{name}: two columns give {target!r}; map one of them to another name")
        if target in COLUMNS:
            renames[original] = target
    missing = [column for column in REQUIRED_COLUMNS if column not in renames.values()]
    if missing:
        raise BadRequest(f"{name} lacks the required column(s) {', '.join(missing)} "
                         f"(its columns: {', '.join(stripped)}); rename them or map them with old=new")
    return renames
