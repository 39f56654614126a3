"""CSV: one table of a report, or the raw validation records streamed batch by batch.

- UTF-8 without a byte-order mark. The same bytes go to scripts (API, CLI), where a
  BOM glues itself to the first header name (Python's ``csv``, ``cut``, ``COPY``);
  people who open files in Excel get XLSX, typed and with the timezone in its headers.
- Lines end with LF: Arrow's writer takes no other ending before pyarrow 22, and
  Excel, pandas, R and Python's ``csv`` all read LF.
- Timestamps are ISO-8601 with the offset of the report's timezone
  (2026-03-01T10:00:00+01:00), so they name one instant wherever they are read.
- Numbers are plain numbers, never formatted: a "percent" column holds 0-1 fractions
  (0.25, not "25%"), a "speedup" column 1.23, not "1.23x"; floats are written in full
  (shortest text that reads back to the same float). Headers stay the columns' headers.
  Booleans are true/false, which pandas and Excel both read as booleans. Text is quoted.
- Text cells and headers that a spreadsheet could run as a formula are neutralised
  (see ``cells``); numbers, negative ones included, stay numbers.
"""
from __future__ import annotations

from typing import Iterable, Iterator

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from ..errors import BadRequest
from ..domain.records import RECORD_COLUMNS
from .cells import neutralise, plain_column, safe_text
from .model import Report, Table

ENCODING = "utf-8"
LINE_END = "\n"
CHUNK_ROWS = 20_000  # rows rendered at a time when streaming: about 2.5 MB of CSV


def to_csv(report: Report, section: str | None = None) -> bytes:
    """The table called ``section`` (by default the report's first table) as CSV bytes."""
    table = _table(report, section)
    kinds = {c.key: c.kind for c in table.columns}
    frame = csv_frame(table.frame[list(kinds)], kinds, report.filters.tz)
    return _encode(frame, header=[c.header for c in table.columns])


def iter_csv_records(frames: Iterable[pd.DataFrame], tz: str) -> Iterator[bytes]:
    """Validation records (RECORD_COLUMNS) as CSV chunks of at most CHUNK_ROWS rows, never the whole file."""
    yield (",".join(RECORD_COLUMNS) + LINE_END).encode(ENCODING)
    for frame in frames:
        # Slices bound the working memory (text copies of a slice) whatever the batch size.
        for start in range(0, len(frame), CHUNK_ROWS):
            # Column kinds come from the dtypes here: created_at is a tz-aware instant, the rest plain.
            part = frame.iloc[start:start + CHUNK_ROWS]
            yield _encode(csv_frame(part[RECORD_COLUMNS], {}, tz), header=None)


def csv_frame(frame: pd.DataFrame, kinds: dict[str, str], tz: str) -> pd.DataFrame:
    """``frame`` as the values CSV writes: ISO times in ``tz``, whole numbers as integers, safe text."""
    return pd.DataFrame({key: _writable(neutralise(plain_column(frame[key], kinds.get(key, "text"), tz)))
                         for key in frame.columns}, index=frame.index)


def _writable(values: pd.Series) -> pd.Series:
    # Arrow needs one type per column: a text column holding a stray number is written as text.
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True).startswith("mixed"):
        return values.astype("str")
    return values


def _table(report: Report, section: str | None) -> Table:
    table = report.table(section) if section else next(iter(report.tables), None)
    if table is None:
        names = ", ".join(t.name for t in report.tables) or "none"
        wanted = f"no section {section!r}" if section else "no table"
        raise BadRequest(f"This report has {wanted} to write as CSV (sections: {names}).",
                         [{"field": "include", "message": f"{wanted}; available: {names}"}])
    return table


def _encode(frame: pd.DataFrame, header: list[str] | None) -> bytes:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if header is not None:
        table = table.rename_columns([safe_text(h) for h in header])
    # Arrow's writer: about 10 times faster than DataFrame.to_csv; floats still round-trip exactly.
    options = pacsv.WriteOptions(include_header=header is not None, quoting_style="needed")
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink, options)
    return sink.getvalue().to_pybytes()
