"""Import validation records from a CSV or Parquet file into the analytics store.

A file is imported whole or not at all, and memory stays bounded however large
it is, so the file is read in chunks twice over:

1. Every chunk is checked with vectorised pandas/numpy code. Bad rows are
   counted and the first ones described; new domains and algorithms are noted;
   while no row is bad, the normalised rows are spilled to a temporary Parquet
   file (cheaper than parsing the source again).
2. Only when no row was bad, one ``store.write()`` transaction inserts the first
   row of each ``record_key`` that the store does not hold yet, and the new
   domains and algorithms those rows refer to. DuckDB reads the spill file
   itself; other databases get it through a temporary table.

Line numbers in messages are those a person sees in a CSV file (the header is
line 1) as long as no quoted value spans several lines; Parquet files are
described by row number, starting at 1.
"""
from __future__ import annotations

import gzip
import os
import tempfile
from dataclasses import dataclass
from hashlib import sha1
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from tqdm import tqdm

from .errors import BadRequest
from .filters import ALGORITHM_TYPES
from .naming import display_name, slugify
from .schema import algorithms, domains, validations
from .store import Store

REQUIRED_COLUMNS = ("algorithm", "domain", "quality", "confidence", "speedup", "tests", "created_at")
OPTIONAL_COLUMNS = ("algorithm_type", "validator", "hypothesis", "id")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
CSV_EXTENSIONS = (".csv", ".csv.gz")
PARQUET_EXTENSIONS = (".parquet", ".pq")

CHUNK_ROWS = 100_000  # measured: twice this adds ~120 MB of peak memory and saves no time
MAX_DETAILS = 100  # problems listed in BadRequest.details
MAX_NAMED = 5  # problems spelled out in the message itself
MAX_TESTS = 2**31 - 1  # validations.tests is a 32-bit INTEGER

# Read as text so that messages can quote what the file says and ids such as
# "007" keep their zeros; the numeric columns are left to pandas' fast parser.
_TEXT_COLUMNS = ("algorithm", "domain", "created_at", "algorithm_type", "validator", "hypothesis", "id")

_SPILL_SCHEMA = pa.schema([
    ("line", pa.int64()),
    ("algorithm_id", pa.string()),
    ("domain_id", pa.string()),
    ("hypothesis_id", pa.string()),
    ("quality", pa.float64()),
    ("confidence", pa.float64()),
    ("speedup", pa.float64()),
    ("tests", pa.int64()),
    ("validator", pa.string()),
    ("created_at", pa.timestamp("us", tz="UTC")),
    ("record_key", pa.string()),
])


@dataclass(frozen=True)
class ImportResult:
    """What an import did: rows read, rows inserted, rows skipped as duplicates, new catalog entries."""

    rows_read: int
    inserted: int
    duplicates: int
    domains_created: int
    algorithms_created: int


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


def import_file(store: Store, path: str | os.PathLike, column_map: dict[str, str] | None = None,
                progress: bool = False) -> ImportResult:
    """Import the validation records of a CSV or Parquet file; all or nothing, duplicates skipped."""
    source = _open_source(Path(path), column_map or {})
    catalog = _Catalog(store)
    with tempfile.TemporaryDirectory(prefix="helios-import-") as tmp:
        spill = Path(tmp) / "rows.parquet"
        report, rows_read = _check_file(source, catalog, spill, progress)
        if report.bad_rows:
            raise report.error(source.path.name)
        return _write(store, catalog, spill, rows_read, progress)


# -- the source file ---------------------------------------------------------------

@dataclass(frozen=True)
class _Source:
    path: Path
    is_csv: bool
    renames: dict[str, str]  # file column -> importer column, for the columns used

    @property
    def unit(self) -> str:
        return "line" if self.is_csv else "row"


def _open_source(path: Path, column_map: dict[str, str]) -> _Source:
    is_csv = _is_csv(path)
    if not path.is_file():
        raise BadRequest(f"file not found: {path}")
    header = _csv_header(path) if is_csv else _parquet_header(path)
    return _Source(path, is_csv, _resolve_columns(header, column_map, path.name))


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


def _chunks(source: _Source, bar: tqdm) -> Iterator[pd.DataFrame]:
    """The file's rows with importer column names, indexed by line (CSV) or row (Parquet) number."""
    try:
        yield from (_csv_chunks if source.is_csv else _parquet_chunks)(source, bar)
    except (ValueError, OSError, pa.ArrowException) as exc:  # malformed file, not a bug here
        raise BadRequest(f"cannot read {source.path.name}: {exc}") from None


def _csv_chunks(source: _Source, bar: tqdm) -> Iterator[pd.DataFrame]:
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


def _parquet_chunks(source: _Source, bar: tqdm) -> Iterator[pd.DataFrame]:
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


# -- checking rows -----------------------------------------------------------------

@dataclass(frozen=True)
class _Problem:
    """One kind of problem in one column, for the rows of a chunk where ``mask`` is set."""

    field: str
    mask: np.ndarray
    describe: Callable[[int], str]  # a row's position in the chunk -> what is wrong with it


class _Report:
    """Bad rows of the whole file: how many, and the first problems in line order."""

    def __init__(self, unit: str):
        self.unit = unit
        self.bad_rows = 0
        self.details: list[dict] = []

    def add(self, lines: np.ndarray, problems: list[_Problem]) -> None:
        if not problems:
            return
        self.bad_rows += int(np.logical_or.reduce([p.mask for p in problems]).sum())
        room = MAX_DETAILS - len(self.details)
        # The first `room` problems of the chunk are among the first `room` of each kind.
        found = sorted((int(lines[i]), COLUMNS.index(p.field), p.field, p.describe(i))
                       for p in problems for i in np.flatnonzero(p.mask)[:room])
        self.details += [{"line": line, "field": field, "message": message}
                         for line, _, field, message in found[:room]]

    def error(self, name: str) -> BadRequest:
        named = "; ".join(f"{self.unit} {d['line']}, column {d['field']}: {d['message']}"
                          for d in self.details[:MAX_NAMED])
        more = "; ..." if self.bad_rows > MAX_NAMED or len(self.details) > MAX_NAMED else ""
        rows = "row" if self.bad_rows == 1 else "rows"
        return BadRequest(f"{name} has {self.bad_rows} bad {rows}, so nothing was imported: {named}{more}",
                          self.details)


def _check_file(source: _Source, catalog: "_Catalog", spill: Path, progress: bool) -> tuple[_Report, int]:
    """Pass 1: check every row, and spill the normalised rows while all are good."""
    report, rows_read = _Report(source.unit), 0
    total = source.path.stat().st_size if source.is_csv else pq.ParquetFile(source.path).metadata.num_rows
    bar = tqdm(total=total, unit="B" if source.is_csv else " rows", unit_scale=True,
               desc=f"checking {source.path.name}", disable=not progress)
    with bar, _spill_writer(spill) as writer:
        for chunk in _chunks(source, bar):
            parsed, problems = _parse(chunk)
            problems.append(catalog.check(parsed))
            report.add(chunk.index.to_numpy(), [p for p in problems if p.mask.any()])
            rows_read += len(chunk)
            if not report.bad_rows:
                writer.write_table(_normalised(parsed, chunk.index.to_numpy()))
    return report, rows_read


def _parse(chunk: pd.DataFrame) -> tuple[pd.DataFrame, list[_Problem]]:
    """The chunk's values converted to what the store holds, and what is wrong with them."""
    problems: list[_Problem] = []
    parsed = {}
    for field in ("algorithm", "domain"):
        parsed[field], parsed[f"{field}_id"] = _name_and_id(chunk[field])
        problems += _name_problems(chunk[field], parsed[field], parsed[f"{field}_id"], field)
    for field in ("quality", "confidence", "speedup", "tests"):
        parsed[field] = _as_float(chunk[field])
        problems += _number_problems(chunk[field], parsed[field], field)
    parsed["created_at"] = _as_utc(chunk["created_at"])
    problems += _timestamp_problems(chunk["created_at"], parsed["created_at"])
    parsed["algorithm_type"] = _optional_text(chunk, "algorithm_type").str.lower()
    problems += _type_problems(chunk.get("algorithm_type"), parsed["algorithm_type"])
    for field in ("validator", "hypothesis", "id"):
        parsed[field] = _optional_text(chunk, field)
    return pd.DataFrame(parsed).reset_index(drop=True), problems


def _per_unique(values, func: Callable[[str], str]) -> pd.Categorical:
    """``func`` applied once to each distinct value: names repeat across millions of rows."""
    codes, uniques = pd.factorize(values)
    results = [func(value) for value in uniques] + [""]  # a missing value has code -1: the ""
    result_codes, categories = pd.factorize(np.array(results, dtype=object))
    return pd.Categorical.from_codes(result_codes[codes], categories=categories)


def _name_and_id(raw: pd.Series) -> tuple[pd.Categorical, pd.Categorical]:
    names = _per_unique(raw, lambda value: str(value).strip())
    return names, _per_unique(names, slugify)


def _name_problems(raw: pd.Series, names: pd.Categorical, ids: pd.Categorical, field: str) -> list[_Problem]:
    return _first_failures(field, raw, [
        (names == "", lambda _value: "is empty"),
        (ids == "", lambda value: f"{value!r} has no letters or digits to make an id from"),
    ])


def _as_float(raw: pd.Series) -> np.ndarray:
    if not (pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw)):
        raw = pd.to_numeric(raw, errors="coerce")
    return raw.to_numpy(dtype=float, na_value=np.nan)


# What a finite number in each column must satisfy, first failure reported.
_NUMBER_RULES: dict[str, list[tuple[Callable[[np.ndarray], np.ndarray], str]]] = {
    "quality": [(lambda v: (v >= 0) & (v <= 100), "is outside 0-100")],
    "confidence": [(lambda v: (v >= 0) & (v <= 1), "is outside 0-1")],
    "speedup": [(lambda v: v > 0, "is not greater than 0")],
    "tests": [(lambda v: v % 1 == 0, "is not a whole number"), (lambda v: v >= 0, "is negative"),
              (lambda v: v <= MAX_TESTS, f"is larger than {MAX_TESTS}")],
}


def _number_problems(raw: pd.Series, values: np.ndarray, field: str) -> list[_Problem]:
    finite = np.isfinite(values)
    safe = np.where(finite, values, 0.0)  # rules see no NaN/inf: those rows already failed
    checks = [
        (_blank(raw), lambda _value: "is empty"),
        (np.isnan(values), lambda value: f"{_show(value)} is not a number"),
        (~finite, lambda value: f"{_show(value)} is not a finite number"),
    ]
    for rule, text in _NUMBER_RULES[field]:
        checks.append((~rule(safe), lambda value, text=text: f"{_show(float(value))} {text}"))
    return _first_failures(field, raw, checks)


def _as_utc(raw: pd.Series) -> pd.Series:
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        stamps = raw.dt.tz_convert("UTC")
    elif pd.api.types.is_datetime64_dtype(raw):
        stamps = raw.dt.tz_localize("UTC")  # a naive timestamp is taken as UTC
    else:
        stamps = pd.to_datetime(raw, utc=True, format="ISO8601", errors="coerce")
    return stamps.astype("datetime64[us, UTC]")  # the store keeps microseconds


def _timestamp_problems(raw: pd.Series, stamps: pd.Series) -> list[_Problem]:
    return _first_failures("created_at", raw, [
        (_blank(raw), lambda _value: "is empty"),
        (stamps.isna().to_numpy(),
         lambda value: f"{_show(value)} is not an ISO 8601 timestamp such as 2026-03-01T10:00:00+02:00"),
    ])


def _type_problems(raw: pd.Series | None, types: pd.Series) -> list[_Problem]:
    if raw is None:
        return []
    allowed = ", ".join(ALGORITHM_TYPES)
    unknown = (types.notna() & ~types.isin(ALGORITHM_TYPES)).to_numpy()
    return _first_failures("algorithm_type", raw, [
        (unknown, lambda value: f"{value!r} is not one of {allowed}"),
    ])


def _optional_text(chunk: pd.DataFrame, field: str) -> pd.Series:
    """The stripped text of an optional column, NaN where absent or empty."""
    if field not in chunk:
        return pd.Series(np.nan, index=chunk.index, dtype="str")
    text = chunk[field].astype("str").str.strip()
    return text.mask(text == "")


def _blank(raw: pd.Series) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(raw) or pd.api.types.is_datetime64_any_dtype(raw):
        return raw.isna().to_numpy()
    return (raw.isna() | (raw.astype("str").str.strip() == "")).to_numpy()


def _first_failures(field: str, raw: pd.Series, checks: list) -> list[_Problem]:
    """One problem per row and column: the first of ``checks`` (mask, describe value) it fails."""
    taken = np.zeros(len(raw), dtype=bool)
    problems = []
    for mask, describe in checks:
        mask = np.asarray(mask, dtype=bool) & ~taken
        taken |= mask
        problems.append(_Problem(field, mask, lambda i, describe=describe: describe(raw.iloc[i])))
    return problems


def _show(value) -> str:
    """A value as a message quotes it: numbers bare (150, not 150.0), text in quotes."""
    if isinstance(value, float):
        return f"{value:.15g}"
    return repr(value) if isinstance(value, str) else str(value)


# -- new domains and algorithms ------------------------------------------------------

class _Catalog:
    """Which domain each algorithm belongs to (the store's, then the file's), and what is new."""

    def __init__(self, store: Store):
        stored = store.read(sa.select(algorithms.c.id, algorithms.c.domain_id))
        self.owner: dict[str, str] = dict(zip(stored["id"], stored["domain_id"]))
        self.stored_algorithms = set(self.owner)
        self.stored_domains = set(store.read(sa.select(domains.c.id))["id"])
        self.new_domains: dict[str, str] = {}  # id -> name
        self.new_algorithms: dict[str, dict] = {}  # id -> algorithms row

    def check(self, parsed: pd.DataFrame) -> _Problem:
        """Rows naming an algorithm of another domain; learns the new algorithms and domains."""
        named = ((parsed["algorithm_id"] != "") & (parsed["domain_id"] != "")).to_numpy()
        firsts = parsed.loc[named, ["algorithm_id", "domain_id"]].drop_duplicates("algorithm_id")
        unseen = firsts[~firsts["algorithm_id"].isin(self.owner.keys())]
        self.owner.update(zip(unseen["algorithm_id"], unseen["domain_id"]))
        expected = np.asarray(parsed["algorithm_id"].map(self.owner), dtype=object)
        conflict = named & (expected != np.asarray(parsed["domain_id"], dtype=object))
        self._learn(parsed[named & ~conflict])
        return _Problem("domain", conflict, lambda i: (
            f"algorithm {parsed['algorithm'].iat[i]!r} belongs to domain {expected[i]!r}"))

    def _learn(self, rows: pd.DataFrame) -> None:
        firsts = rows.drop_duplicates("domain_id")
        for domain_id, name in zip(firsts["domain_id"], firsts["domain"]):
            if domain_id not in self.stored_domains:
                self.new_domains.setdefault(domain_id, display_name(name))
        fresh = rows[~rows["algorithm_id"].isin(self.stored_algorithms)]
        summary = fresh.groupby("algorithm_id", sort=False, observed=True).agg(
            name=("algorithm", "first"), domain_id=("domain_id", "first"),
            type=("algorithm_type", "first"), created_at=("created_at", "min"))
        for algorithm_id, row in summary.iterrows():  # one row per algorithm, not per record
            self._merge(algorithm_id, row)

    def _merge(self, algorithm_id: str, row: pd.Series) -> None:
        known = self.new_algorithms.setdefault(algorithm_id, {
            "id": algorithm_id, "name": row["name"], "domain_id": row["domain_id"],
            "type": None, "created_at": row["created_at"]})
        if not isinstance(known["type"], str):  # the first type the file gives wins
            known["type"] = row["type"]
        if pd.isna(known["created_at"]) or row["created_at"] < known["created_at"]:
            known["created_at"] = row["created_at"]

    def rows_for(self, used_algorithms: set[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The new domains and algorithms that inserted records refer to, as table rows."""
        new = [dict(row, type=row["type"] if isinstance(row["type"], str) else "novel")
               for algorithm_id, row in self.new_algorithms.items() if algorithm_id in used_algorithms]
        needed = {row["domain_id"] for row in new} & set(self.new_domains)
        domain_rows = [{"id": d, "name": self.new_domains[d]} for d in sorted(needed)]
        return pd.DataFrame(domain_rows), pd.DataFrame(new)


# -- normalised rows and their keys --------------------------------------------------

def _normalised(parsed: pd.DataFrame, lines: np.ndarray) -> pa.Table:
    """A checked chunk in the spill's schema, with each record's key."""
    columns = {
        "line": pa.array(lines, pa.int64()),
        "algorithm_id": _text(parsed["algorithm_id"]), "domain_id": _text(parsed["domain_id"]),
        "hypothesis_id": _text(parsed["hypothesis"]),
        **{f: pa.array(parsed[f], pa.float64()) for f in ("quality", "confidence", "speedup")},
        "tests": pa.array(parsed["tests"].astype(np.int64)),
        "validator": _text(parsed["validator"]),
        "created_at": pa.array(parsed["created_at"], _SPILL_SCHEMA.field("created_at").type),
        "record_key": _record_keys(parsed),
    }
    return pa.table(columns, schema=_SPILL_SCHEMA)


def _text(values: pd.Series) -> pa.Array:
    return pa.array(values).cast(pa.string())  # categorical, str or all-missing alike


def _record_keys(parsed: pd.DataFrame) -> pa.Array:
    """``id:<id>`` where the file gives an id, else ``sha1:`` of the normalised content."""
    ids = parsed["id"]
    has_id = ids.notna().to_numpy()
    keys = np.empty(len(parsed), dtype=object)
    keys[has_id] = ("id:" + ids[has_id]).to_numpy()
    # hashlib has no vectorised form; this loop costs about 0.4 us per row.
    keys[~has_id] = ["sha1:" + sha1(text).hexdigest() for text in _content(parsed[~has_id]).to_pylist()]
    return pa.array(keys, pa.string())


def _content(parsed: pd.DataFrame) -> pa.Array:
    """The fields that identify a record, joined by US (0x1f).

    Numbers and times are formatted by Arrow's casts (shortest round-trip floats,
    microsecond UTC ISO times); keys must never change, and a test pins this format.
    """
    naive = pa.array(parsed["created_at"].dt.tz_localize(None), pa.timestamp("us"))
    iso = pc.binary_join_element_wise(pc.replace_substring(naive.cast(pa.string()), " ", "T"), "+00:00", "")
    parts = [_text(parsed["algorithm_id"]), _text(parsed["domain_id"])]
    parts += [pa.array(parsed[f], pa.float64()).cast(pa.string()) for f in ("quality", "confidence", "speedup")]
    parts += [pa.array(parsed["tests"].astype(np.int64)).cast(pa.string()), iso]
    parts += [pc.fill_null(_text(parsed[f]), "") for f in ("validator", "hypothesis")]
    return pc.binary_join_element_wise(*parts, "\x1f").cast(pa.binary())


def _spill_writer(path: Path) -> pq.ParquetWriter:
    # Uncompressed and dictionary-encoded only where values repeat: measured fastest to
    # write and read back, and the file lives for the length of one import.
    return pq.ParquetWriter(path, _SPILL_SCHEMA, compression="none",
                            use_dictionary=["algorithm_id", "domain_id", "hypothesis_id", "validator"])


# -- pass 2: writing -----------------------------------------------------------------

class _NothingNew(Exception):
    """Raised inside ``store.write()`` to roll back, so a no-op import leaves the data version alone."""


def _write(store: Store, catalog: _Catalog, spill: Path, rows_read: int, progress: bool) -> ImportResult:
    """Pass 2: insert the spilled rows whose keys are new, in one transaction."""
    try:
        with store.write() as conn:
            first_id = store.next_id(conn, validations)
            _insert_spilled(store, conn, spill, first_id, progress)
            inserted = store.next_id(conn, validations) - first_id
            if not inserted:
                raise _NothingNew
            new_domains, new_algorithms = catalog.rows_for(_algorithms_since(conn, first_id))
            store.append_frame(conn, domains, new_domains)  # before algorithms: their foreign key
            store.append_frame(conn, algorithms, new_algorithms)
    except _NothingNew:
        return ImportResult(rows_read, 0, rows_read, 0, 0)
    return ImportResult(rows_read, inserted, rows_read - inserted, len(new_domains), len(new_algorithms))


def _insert_spilled(store: Store, conn: Connection, spill: Path, first_id: int, progress: bool) -> None:
    if store.is_duckdb:
        # DuckDB-only: read_parquet scans the spill file itself. Measured on 2M rows,
        # copying them into a temporary table first took longer than the whole INSERT
        # and held them all in memory until the commit.
        rows = sa.func.read_parquet(str(spill)).table_valued(*_SPILL_SCHEMA.names)
        conn.execute(_insert_new_records(rows, first_id))
        return
    stage = _stage(store, conn, spill, progress)
    conn.execute(_insert_new_records(stage, first_id))
    stage.drop(conn)


def _stage(store: Store, conn: Connection, spill: Path, progress: bool) -> sa.Table:
    """The portable path: the spilled rows in a temporary table of this transaction."""
    stage = sa.Table("_helios_import", sa.MetaData(), sa.Column("line", sa.BigInteger),
                     *(sa.Column(c.name, c.type) for c in validations.columns if c.name != "id"),
                     prefixes=["TEMPORARY"])
    stage.create(conn)
    spilled = pq.ParquetFile(spill)
    with tqdm(total=spilled.metadata.num_rows, unit=" rows", unit_scale=True, desc="staging",
              disable=not progress) as bar:
        for batch in spilled.iter_batches(CHUNK_ROWS):
            frame = batch.to_pandas()
            # Row-by-row inserts would store a missing text value (NaN) as 'nan'; None is NULL.
            store.append_frame(conn, stage, frame.astype(object).where(frame.notna(), None))
            bar.update(batch.num_rows)
    return stage


def _insert_new_records(rows: sa.FromClause, first_id: int) -> sa.Insert:
    """INSERT the first row of each key not stored yet, with ids from ``first_id`` in line order.

    Only (line, key) pairs are grouped and numbered, never whole rows: that kept the
    database's working memory small on files of millions of rows.
    """
    stored = sa.exists().where(validations.c.record_key == rows.c.record_key)
    first_line = sa.func.min(rows.c.line).label("line")
    kept = sa.select(first_line).where(~stored).group_by(rows.c.record_key).subquery()
    new_id = (sa.func.row_number().over(order_by=kept.c.line) + (first_id - 1)).label("id")
    numbered = sa.select(kept.c.line, new_id).subquery()
    columns = [c.name for c in validations.columns if c.name != "id"]
    query = sa.select(numbered.c.id, *(rows.c[name] for name in columns)).join_from(
        rows, numbered, rows.c.line == numbered.c.line)
    return validations.insert().from_select(["id", *columns], query)


def _algorithms_since(conn: Connection, first_id: int) -> set[str]:
    query = sa.select(validations.c.algorithm_id).where(validations.c.id >= first_id).distinct()
    return set(conn.execute(query).scalars())
