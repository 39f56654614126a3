"""Service results (frames, rows, numpy and pandas scalars) as plain JSON values."""
from __future__ import annotations

import math
from datetime import date, datetime

import numpy as np
import pandas as pd


def plain(value, tz: str = "UTC"):
    """A JSON-ready value: numbers stay numbers, times ISO-8601 in ``tz`` (UTC as ``Z``), missing and infinite null."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) or math.isinf(value) else float(value)
    if isinstance(value, (pd.Timestamp, datetime)):
        stamp = pd.Timestamp(value)
        stamp = (stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp).tz_convert(tz)
        return stamp.isoformat().replace("+00:00", "Z") if tz == "UTC" else stamp.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): plain(item, tz) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item, tz) for item in value]
    return value if isinstance(value, str) else str(value)


def records(frame: pd.DataFrame, columns: list[str] | None = None, tz: str = "UTC") -> list[dict]:
    """The frame's rows (``columns`` only, in that order, if given) as plain dicts, times in ``tz``."""
    chosen = frame if columns is None else frame[[c for c in columns if c in frame.columns]]
    return [{key: plain(value, tz) for key, value in row.items()} for row in chosen.to_dict("records")]
