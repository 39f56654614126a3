"""A checksum of a table's rows computed outside the database, the same way whichever database they came from.

It uses no database hash function, so a DuckDB store and a PostgreSQL one are
compared on equal terms. Rows arrive as Arrow batches; each row is written in a
canonical text form (by Arrow compute kernels, column at a time) and hashed with
BLAKE2b (128 bits) in Python; the table's checksum is the sum of the row hashes
modulo 2**128. A sum does not depend on row order, so neither side needs an ORDER BY
(``validations`` has no primary key, and PostgreSQL and DuckDB sort text under
different collations), yet a repeated row still counts twice, unlike a XOR.

The canonical form of one value:
- NULL: ``\\N``
- text: its length in characters, a colon, then the text (``3:abc``), so no text can
  pass for a NULL, a number or a field separator
- integers (any width): decimal digits; booleans: ``true`` or ``false``
- floats: widened to double, then the shortest decimal that reads back to the same
  double (Arrow's cast: ``0.1``, ``2``, ``1e+300``)
- timestamps: ISO 8601 with microseconds, with a zone in UTC (written without an offset):
  ``2026-03-01 09:30:00.000000``; dates: ``2026-03-01``
- anything else (decimals, bytes): Arrow's cast to text
Fields are joined with a tab.
"""
from __future__ import annotations

import hashlib

import pyarrow as pa
import pyarrow.compute as pc

NULL = "\\N"
_MODULUS = 1 << 128
_COLON, _TAB = pa.scalar(":", pa.large_string()), pa.scalar("\t", pa.large_string())


def canonical_text(column: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """One column's values in their canonical text form (see the module docstring)."""
    kind = column.type
    if pa.types.is_dictionary(kind):
        return canonical_text(column.cast(kind.value_type))
    if pa.types.is_null(kind):
        return pa.array([NULL] * len(column), pa.large_string())
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        text = column.cast(pa.large_string())
        text = pc.binary_join_element_wise(pc.utf8_length(text).cast(pa.large_string()), text, _COLON)
    elif pa.types.is_timestamp(kind):
        # A zoned timestamp is stored as UTC: dropping the zone keeps its UTC wall clock, and
        # formatting without a zone is some 30 times faster than with one.
        text = column.cast(pa.timestamp("us")).cast(pa.large_string())
    elif pa.types.is_floating(kind):
        text = column.cast(pa.float64()).cast(pa.large_string())
    else:
        text = column.cast(pa.large_string())
    return pc.fill_null(text, NULL)


class TableChecksum:
    """Rows and checksum of a stream of Arrow batches."""

    def __init__(self) -> None:
        self.rows = 0
        self._sum = 0

    def add(self, batch: pa.RecordBatch | pa.Table) -> None:
        """Add a batch of rows; its columns must come in the table's column order."""
        if batch.num_rows == 0:
            return
        texts = [canonical_text(column) for column in batch.columns]
        rows = pc.binary_join_element_wise(*texts, _TAB).cast(pa.large_binary())
        total = self._sum
        blake2b = hashlib.blake2b
        for row in rows.to_pylist():
            total += int.from_bytes(blake2b(row, digest_size=16).digest(), "big")
        self._sum = total % _MODULUS
        self.rows += batch.num_rows

    @property
    def hexdigest(self) -> str:
        """The checksum as 32 hexadecimal digits."""
        return f"{self._sum:032x}"
