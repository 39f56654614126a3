"""The source file: its type, its header, the column map, and its rows in chunks."""
from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from tqdm import tqdm

from ..errors import BadRequest

REQUIRED_COLUMNS = ("algorithm", "domain", "quality", "confidence", "speedup", "tests", "created_at")
OPTIONAL_COLUMNS = ("algorithm_type", "validator", "hypothesis", "id")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
CSV_EXTENSIONS = (".csv", ".csv.gz")
PARQUET_EXTENSIONS = (".parquet", ".pq")

CHUNK_ROWS = 100_000  # measured: twice this adds ~120 MB of peak memory and saves no time

# Read as text so that messages can quote what the file says and ids such as
# "007" keep their zeros; the numeric columns are left to pandas' fast parser.
_TEXT_COLUMNS = ("algorithm", "domain", "created_at", "algorithm_type", "validator", "hypothesis", "id")


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
        return [str(name) for name in pd.read_csv(path, nrows=0, compression=_compression(path)).columns]
    except pd.errors.EmptyDataError:
        raise BadRequest(f"{path.name} is empty: expected a header line") from None
    except (ValueError, OSError) as exc:  # pandas' ParserError and gzip's errors
        raise BadRequest(f"cannot read {path.name}: {exc}") from None


def _compression(path: Path) -> str | None:
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


def chunks(source: Source, bar: tqdm) -> Iterator[pd.DataFrame]:
    """The file's rows with importer column names, indexed by line (CSV) or row (Parquet) number."""
    try:
        yield from (_csv_chunks if source.is_csv else _parquet_chunks)(source, bar)
    except (ValueError, OSError, pa.ArrowException) as exc:  # malformed file, not a bug here
        raise BadRequest(f"cannot read {source.path.name}: {exc}") from None


def _csv_chunks(source: Source, bar: tqdm) -> Iterator[pd.DataFrame]:
    text = {original: str for original, target in source.renames.items() if target in _TEXT_COLUMNS}
    with open(source.path, "rb") as raw:
        stream = gzip.GzipFile(fileobj=raw) if _compression(source.path) else raw
        # Blank lines are kept (and dropped below) so that row positions stay line numbers.
        reader = pd.read_csv(stream, chunksize=CHUNK_ROWS, usecols=list(source.renames), dtype=text,
                             keep_default_na=False, na_values=[""], skip_blank_lines=False,
                             low_memory=False)
        for chunk in reader:
            bar.update(raw.tell() - bar.n)
            chunk.index = chunk.index + 2  # the header is line 1
            yield chunk.rename(columns=source.renames).dropna(how="all")


def _parquet_chunks(source: Source, bar: tqdm) -> Iterator[pd.DataFrame]:
    start = 1
    for batch in pq.ParquetFile(source.path).iter_batches(CHUNK_ROWS, columns=list(source.renames)):
        table = pa.Table.from_batches([batch]).rename_columns([source.renames[n] for n in batch.schema.names])
        frame = _text_as_strings(table).to_pandas()
        frame.index = pd.RangeIndex(start, start + len(frame))
        start += len(frame)
        bar.update(len(frame))
        yield frame


def _text_as_strings(table: pa.Table) -> pa.Table:
    for index, field in enumerate(table.schema):
        keep = field.name == "created_at" and pa.types.is_temporal(field.type)
        if field.name in _TEXT_COLUMNS and not keep:
            table = table.set_column(index, field.name, pc.cast(table[field.name], pa.string()))
    return table
