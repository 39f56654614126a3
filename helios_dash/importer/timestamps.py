"""created_at as UTC instants: ISO 8601 text, typed timestamps, or epoch numbers; 1970 to 2199 only.

Epoch numbers are read as such when asked (``epoch="s"`` or ``"ms"``, the CLI's ``--epoch``), or
when the first chunk of the column holds nothing but numbers of 10 digits (seconds) or nothing but
numbers of 13 digits (milliseconds): both mean the years 2001-2286 and pandas reads neither as
ISO 8601, so detection cannot take a date for a number. Every later value must then look alike.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from ..errors import BadRequest
from .report import bare, show

EARLIEST = pd.Timestamp("1970-01-01", tz="UTC")
END = pd.Timestamp("2200-01-01", tz="UTC")  # the first moment no longer supported
RANGE = "the supported range 1970-01-01 to 2199-12-31 (UTC)"
EPOCH_UNITS = {"s": "seconds", "ms": "milliseconds"}
_MICROSECONDS = {"s": 1_000_000, "ms": 1_000}
_DETECTED_DIGITS = {"s": 10, "ms": 13}
_END_MICROSECONDS = (END - EARLIEST) // pd.Timedelta(microseconds=1)
_EXAMPLE = "2026-03-01T10:00:00+02:00"

Check = tuple[np.ndarray, Callable[[int], str]]  # rows failing, and what to say of row i


class Timestamps:
    """Reads a file's created_at column chunk by chunk, remembering whether it holds epoch numbers."""

    def __init__(self, epoch: str | None = None):
        if epoch is not None and epoch not in EPOCH_UNITS:
            raise BadRequest(f"epoch must be one of {', '.join(EPOCH_UNITS)}, not {epoch!r}")
        self.unit = epoch
        self.detected = False
        self.used = False
        self._settled = epoch is not None

    def parse(self, raw: pd.Series, blank: np.ndarray) -> tuple[pd.Series, list[Check]]:
        """The chunk's UTC instants (microseconds; NaT where bad) and the checks that explain the NaTs."""
        if pd.api.types.is_datetime64_any_dtype(raw):
            return _typed(raw)
        if not self._settled:
            self._settle(raw[~blank])
        if self.unit:
            self.used = True
            return self._epoch(raw)
        return _iso(raw)

    def note(self) -> str | None:
        """A sentence for the import summary when the column was read as epoch numbers."""
        if not self.used:
            return None
        how = (f"detected: every value has {_DETECTED_DIGITS[self.unit]} digits" if self.detected
               else f"as --epoch {self.unit} asked")
        return f"created_at was read as epoch {EPOCH_UNITS[self.unit]}, UTC ({how})"

    def _settle(self, values: pd.Series) -> None:
        if values.empty:
            return  # no value yet to decide by
        self._settled = True
        if pd.isna(pd.to_numeric(values.iat[0], errors="coerce")):
            return  # text, as in most files: no need to convert the whole chunk to know
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        for unit in _DETECTED_DIGITS:
            if _has_digits(numbers, unit).all():
                self.unit, self.detected = unit, True

    def _epoch(self, raw: pd.Series) -> tuple[pd.Series, list[Check]]:
        numbers = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        micros = numbers * _MICROSECONDS[self.unit]
        valid = (micros >= 0) & (micros < _END_MICROSECONDS)
        as_int = np.round(np.where(valid, micros, 0)).astype(np.int64)
        instants = EARLIEST.asm8.astype("datetime64[us]") + as_int.astype("timedelta64[us]")
        stamps = pd.Series(np.where(valid, instants, np.datetime64("NaT", "us")), index=raw.index)
        name = EPOCH_UNITS[self.unit]
        checks: list[Check] = [(np.isnan(numbers), lambda i: f"{show(raw.iat[i])} is not a number of epoch {name}")]
        if self.detected:
            digits = _DETECTED_DIGITS[self.unit]
            checks.append((~_has_digits(numbers, self.unit), lambda i: (
                f"{bare(raw.iat[i])} is not a {digits}-digit number like the column's other epoch {name}")))
        checks.append((~valid, lambda i: f"{bare(raw.iat[i])} is outside {RANGE}"))
        return stamps.dt.tz_localize("UTC"), checks


def _has_digits(numbers: np.ndarray, unit: str) -> np.ndarray:
    digits = _DETECTED_DIGITS[unit]
    return (numbers >= 10.0 ** (digits - 1)) & (numbers < 10.0 ** digits)


def _typed(raw: pd.Series) -> tuple[pd.Series, list[Check]]:
    stamps = raw.dt.tz_convert("UTC") if raw.dt.tz is not None else raw.dt.tz_localize("UTC")  # naive: UTC
    stamps = stamps.astype("datetime64[us, UTC]")  # the store keeps microseconds
    return stamps, [(_outside(stamps), lambda i: f"{show(raw.iat[i])} is outside {RANGE}")]


def _iso(raw: pd.Series) -> tuple[pd.Series, list[Check]]:
    stamps = pd.to_datetime(raw, utc=True, format="ISO8601", errors="coerce").astype("datetime64[us, UTC]")
    return stamps, [
        (stamps.isna().to_numpy(), lambda i: _not_iso(raw.iat[i])),
        (_outside(stamps), lambda i: f"{show(raw.iat[i])} is outside {RANGE}"),
    ]


def _outside(stamps: pd.Series) -> np.ndarray:
    return ((stamps < EARLIEST) | (stamps >= END)).to_numpy()


def _not_iso(value) -> str:
    text = f"{show(value)} is not an ISO 8601 timestamp such as {_EXAMPLE}"
    if pd.notna(pd.to_numeric(value, errors="coerce")):
        text += " (numbers are epoch times with --epoch s or --epoch ms, or when all have 10 or all 13 digits)"
    return text
