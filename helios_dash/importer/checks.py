"""Pass 1: every row checked with vectorised code, bad rows counted and the first described."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from tqdm import tqdm

from ..errors import BadRequest
from ..filters import ALGORITHM_TYPES
from ..naming import slugify
from .sources import COLUMNS, Source, chunks
from .spill import normalised, spill_writer

if TYPE_CHECKING:
    from .catalog import Catalog

MAX_DETAILS = 100  # problems listed in BadRequest.details
MAX_NAMED = 5  # problems spelled out in the message itself
MAX_TESTS = 2**31 - 1  # validations.tests is a 32-bit INTEGER


@dataclass(frozen=True)
class Problem:
    """One kind of problem in one column, for the rows of a chunk where ``mask`` is set."""

    field: str
    mask: np.ndarray
    describe: Callable[[int], str]  # a row's position in the chunk -> what is wrong with it


class Report:
    """Bad rows of the whole file: how many, and the first problems in line order."""

    def __init__(self, unit: str):
        self.unit = unit
        self.bad_rows = 0
        self.details: list[dict] = []

    def add(self, lines: np.ndarray, problems: list[Problem]) -> None:
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


def check_file(source: Source, catalog: Catalog, spill: Path, progress: bool) -> tuple[Report, int]:
    """Pass 1: check every row, and spill the normalised rows while all are good."""
    report, rows_read = Report(source.unit), 0
    total = source.path.stat().st_size if source.is_csv else pq.ParquetFile(source.path).metadata.num_rows
    bar = tqdm(total=total, unit="B" if source.is_csv else " rows", unit_scale=True,
               desc=f"checking {source.path.name}", disable=not progress)
    with bar, spill_writer(spill) as writer:
        for chunk in chunks(source, bar):
            parsed, problems = _parse(chunk)
            problems.append(catalog.check(parsed))
            report.add(chunk.index.to_numpy(), [p for p in problems if p.mask.any()])
            rows_read += len(chunk)
            if not report.bad_rows:
                writer.write_table(normalised(parsed, chunk.index.to_numpy()))
    return report, rows_read


def _parse(chunk: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    """The chunk's values converted to what the store holds, and what is wrong with them."""
    problems: list[Problem] = []
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


def _name_problems(raw: pd.Series, names: pd.Categorical, ids: pd.Categorical, field: str) -> list[Problem]:
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


def _number_problems(raw: pd.Series, values: np.ndarray, field: str) -> list[Problem]:
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


def _timestamp_problems(raw: pd.Series, stamps: pd.Series) -> list[Problem]:
    return _first_failures("created_at", raw, [
        (_blank(raw), lambda _value: "is empty"),
        (stamps.isna().to_numpy(),
         lambda value: f"{_show(value)} is not an ISO 8601 timestamp such as 2026-03-01T10:00:00+02:00"),
    ])


def _type_problems(raw: pd.Series | None, types: pd.Series) -> list[Problem]:
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


def _first_failures(field: str, raw: pd.Series, checks: list) -> list[Problem]:
    """One problem per row and column: the first of ``checks`` (mask, describe value) it fails."""
    taken = np.zeros(len(raw), dtype=bool)
    problems = []
    for mask, describe in checks:
        mask = np.asarray(mask, dtype=bool) & ~taken
        taken |= mask
        problems.append(Problem(field, mask, lambda i, describe=describe: describe(raw.iloc[i])))
    return problems


def _show(value) -> str:
    """A value as a message quotes it: numbers bare (150, not 150.0), text in quotes."""
    if isinstance(value, float):
        return f"{value:.15g}"
    return repr(value) if isinstance(value, str) else str(value)
