"""The file's rows in chunks: parsed fast, with what the checks need to describe them exactly.

Numbers are parsed by pandas' C parser and their text is not kept, which is what makes CSV
reading fast (reading them as text cost 4 s more per 2M rows). A message that quotes a number
reads the text again (``written``), in step with the chunks, only as far as messages need it.
"""
from __future__ import annotations

import csv
import gzip
import io
import re
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Callable, Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from tqdm import tqdm

from ..errors import BadRequest
from .sources import TEXT_COLUMNS, Source, compression

CHUNK_ROWS = 100_000  # measured: twice this adds ~120 MB of peak memory and saves no time

# pandas drops the surplus fields of long rows silently under usecols, hence no usecols;
# without it, on_bad_lines="warn" skips each long row with this warning (lines counted as
# ours: the header is line 1) and renumbers the rows after it, which _lines undoes.
_SKIPPED = re.compile(r"Skipping line (\d+): expected (\d+) fields, saw (\d+)")


@dataclass(frozen=True)
class Chunk:
    """Rows of the file with importer column names, indexed by line (CSV) or row (Parquet) number."""

    rows: pd.DataFrame
    written: Callable[[int, str], str | None]  # (line, number column) -> its text in the file, if kept
    long_rows: dict[int, str] = field(default_factory=dict)  # line -> how it has more fields than the header


def too_many_fields(fields: int, header_fields: int) -> str:
    return f"has {fields} fields, more than the {header_fields} of the header"


def chunks(source: Source, bar: tqdm) -> Iterator[Chunk]:
    """The file's rows in chunks, with the long CSV rows left out and named in ``long_rows``."""
    try:
        yield from (_csv_chunks if source.is_csv else _parquet_chunks)(source, bar)
    except (ValueError, OSError, pa.ArrowException) as exc:  # malformed file, not a bug here
        raise BadRequest(f"cannot read {source.path.name}: {exc}") from None


def _csv_chunks(source: Source, bar: tqdm) -> Iterator[Chunk]:
    text = {original: str for original, target in source.renames.items() if target in TEXT_COLUMNS}
    long_rows = _long_first_row(source)
    skipped_at: list[int] = []  # for each skipped line, how many rows pandas kept before it
    with _open_csv(source) as (raw, stream), _WrittenNumbers(source) as written:
        # Blank lines are kept (and dropped below) so that row positions stay line numbers;
        # index_col=False: a long first row must not turn the first column into an index.
        reader = pd.read_csv(stream, chunksize=CHUNK_ROWS, dtype=text, index_col=False, on_bad_lines="warn",
                             keep_default_na=False, na_values=[""], skip_blank_lines=False, low_memory=False)
        for chunk, skipped in _with_skipped_lines(reader):
            bar.update(raw.tell() - bar.n)
            for line, expected, saw in skipped:
                long_rows[line] = too_many_fields(saw, expected)
                skipped_at.append(line - 2 - len(skipped_at))
            chunk.index = _lines(chunk.index.to_numpy(), skipped_at)
            rows = chunk[list(source.renames)].rename(columns=source.renames)
            # Blank lines go, and a long first row, whose surplus pandas cut off.
            dropped = rows.isna().all(axis=1) | rows.index.isin(list(long_rows))
            yield Chunk(rows[~dropped], written, long_rows)
            long_rows = {}


def _with_skipped_lines(reader) -> Iterator[tuple[pd.DataFrame, list[tuple[int, int, int]]]]:
    """Each chunk, and the (line, expected fields, fields) of the long rows pandas skipped reading it."""
    while True:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            chunk = next(reader, None)
        if chunk is None:
            return
        # The other ParserWarning, of a long first row, is handled by _long_first_row.
        found = (_SKIPPED.search(str(warning.message)) for warning in caught)
        yield chunk, [tuple(int(number) for number in match.groups()) for match in found if match]


def _lines(positions: np.ndarray, skipped_at: list[int]) -> np.ndarray:
    """The line of each row pandas kept, counting the long rows it skipped (the header is line 1)."""
    return positions + 2 + np.searchsorted(np.asarray(skipped_at, dtype=np.int64), positions, side="right")


def _long_first_row(source: Source) -> dict[int, str]:
    """The first data row (line 2) if it has more fields than the header.

    pandas drops the surplus of that one row without an error (it would otherwise take the
    first column for an index), so it is counted here with the csv module.
    """
    try:
        with _open_csv(source) as (_raw, stream):
            text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
            records = csv.reader(text)
            header, first = next(records, []), next(records, [])
            text.detach()  # the file is closed by _open_csv, not by the wrapper
    except (csv.Error, ValueError):
        return {}  # a field over the csv module's size limit, or bad UTF-8: pandas will say
    return {2: too_many_fields(len(first), len(header))} if len(first) > len(header) else {}


@contextmanager
def _open_csv(source: Source) -> Iterator[tuple[IO[bytes], IO[bytes]]]:
    """The raw file (for progress) and the stream of its CSV text (gunzipped if need be)."""
    with open(source.path, "rb") as raw:
        yield raw, (gzip.GzipFile(fileobj=raw) if compression(source.path) else raw)


class _WrittenNumbers:
    """The text of the CSV file's number columns, read again only when a message quotes a number."""

    def __init__(self, source: Source):
        self._source = source
        self._chunks: Iterator[pd.DataFrame] | None = None
        self._chunk: pd.DataFrame | None = None

    def __enter__(self) -> "_WrittenNumbers":
        return self

    def __exit__(self, *_exc) -> None:
        if self._chunks is not None:
            self._chunks.close()  # closes the file it reads

    def __call__(self, line: int, column: str) -> str | None:
        """The text of ``column`` on ``line``; asked for in the order of the chunks."""
        if self._chunks is None:
            self._chunks = self._read()
        while self._chunk is None or self._chunk.index[-1] < line:
            self._chunk = next(self._chunks, None)
            if self._chunk is None:
                return None
        return self._chunk.at[line, column] if line in self._chunk.index else None

    def _read(self) -> Iterator[pd.DataFrame]:
        numbers = [original for original, target in self._source.renames.items() if target not in TEXT_COLUMNS]
        with _open_csv(self._source) as (_raw, stream):
            reader = pd.read_csv(stream, chunksize=CHUNK_ROWS, usecols=numbers, dtype=str, index_col=False,
                                 keep_default_na=False, skip_blank_lines=False, low_memory=False)
            for chunk in reader:
                chunk.index = chunk.index + 2
                yield chunk.rename(columns=self._source.renames)


def _parquet_chunks(source: Source, bar: tqdm) -> Iterator[Chunk]:
    start = 1
    for batch in pq.ParquetFile(source.path).iter_batches(CHUNK_ROWS, columns=list(source.renames)):
        table = pa.Table.from_batches([batch]).rename_columns([source.renames[n] for n in batch.schema.names])
        frame = _text_as_strings(table).to_pandas()
        frame.index = pd.RangeIndex(start, start + len(frame))
        start += len(frame)
        bar.update(len(frame))
        yield Chunk(frame, _typed_numbers)


def _typed_numbers(_line: int, _column: str) -> None:
    return None  # Parquet numbers are typed: there is no text to quote but the value itself


def _text_as_strings(table: pa.Table) -> pa.Table:
    for index, column in enumerate(table.schema):
        # Only timestamps stay typed; dates, times and numbers become text the checks can quote.
        keep = column.name == "created_at" and pa.types.is_timestamp(column.type)
        if column.name in TEXT_COLUMNS and not keep:
            table = table.set_column(index, column.name, pc.cast(table[column.name], pa.string()))
    return table
