"""The spill file: checked rows normalised to what the store holds, each with its record key."""
from __future__ import annotations

from hashlib import sha1
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

SPILL_SCHEMA = pa.schema([
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


def normalised(parsed: pd.DataFrame, lines: np.ndarray) -> pa.Table:
    """A checked chunk in the spill's schema, with each record's key."""
    columns = {
        "line": pa.array(lines, pa.int64()),
        "algorithm_id": _text(parsed["algorithm_id"]), "domain_id": _text(parsed["domain_id"]),
        "hypothesis_id": _text(parsed["hypothesis"]),
        **{f: pa.array(parsed[f], pa.float64()) for f in ("quality", "confidence", "speedup")},
        "tests": pa.array(parsed["tests"].astype(np.int64)),
        "validator": _text(parsed["validator"]),
        "created_at": pa.array(parsed["created_at"], SPILL_SCHEMA.field("created_at").type),
        "record_key": _record_keys(parsed),
    }
    return pa.table(columns, schema=SPILL_SCHEMA)


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


def spill_writer(path: Path) -> pq.ParquetWriter:
    # Uncompressed and dictionary-encoded only where values repeat: measured fastest to
    # write and read back, and the file lives for the length of one import.
    return pq.ParquetWriter(path, SPILL_SCHEMA, compression="none",
                            use_dictionary=["algorithm_id", "domain_id", "hypothesis_id", "validator"])
