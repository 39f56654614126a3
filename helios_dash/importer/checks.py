"""Pass 1: every row checked with vectorised code, bad rows counted and the first described."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from tqdm import tqdm

from ..filters import ALGORITHM_TYPES
from .reading import Chunk, chunks
from .report import Problem, Report, bare, show
from .sources import Source
from .spill import normalised, spill_writer
from .timestamps import Timestamps

if TYPE_CHECKING:
    from .catalog import Catalog

MAX_TESTS = 2**31 - 1  # validations.tests is a 32-bit INTEGER
CONTROL_CHARACTERS = r"[\x00-\x1f\x7f-\x9f]"  # Unicode's Cc: NUL, escape, tab, newline, DEL, C1


@dataclass(frozen=True)
class Checked:
    """What pass 1 found: the bad rows, how many rows were read, whether any row gave an id."""

    report: Report
    rows_read: int
    has_ids: bool


def check_file(source: Source, catalog: Catalog, timestamps: Timestamps, spill: Path,
               progress: bool) -> Checked:
    """Pass 1: check every row, and spill the normalised rows while all are good."""
    report, rows_read, has_ids = Report(source.path.name, source.unit), 0, False
    total = source.path.stat().st_size if source.is_csv else pq.ParquetFile(source.path).metadata.num_rows
    bar = tqdm(total=total, unit="B" if source.is_csv else " rows", unit_scale=True,
               desc=f"checking {source.path.name}", disable=not progress)
    with bar, spill_writer(spill) as writer:
        for chunk in chunks(source, bar):
            parsed, problems = _parse(chunk, catalog, timestamps)
            problems.append(catalog.check(parsed))
            lines = chunk.rows.index.to_numpy()
            long_rows = [{"line": line, "field": None, "message": message} for line, message in chunk.long_rows.items()]
            report.add(lines, [p for p in problems if p.mask.any()], long_rows)
            rows_read += len(chunk.rows) + len(chunk.long_rows)
            if not report.bad_rows:
                writer.write_table(normalised(parsed, lines))
                has_ids = has_ids or bool(parsed["id"].notna().any())
    return Checked(report, rows_read, has_ids)


def _parse(chunk: Chunk, catalog: Catalog, timestamps: Timestamps) -> tuple[pd.DataFrame, list[Problem]]:
    """The chunk's values converted to what the store holds, and what is wrong with them."""
    rows = chunk.rows
    problems: list[Problem] = []
    parsed = {}
    for field in ("algorithm", "domain"):
        names = _per_unique(rows[field], lambda value: str(value).strip())
        ids = _per_unique(names, lambda name, field=field: catalog.id_for(field, name))
        parsed[field], parsed[f"{field}_id"] = names, ids
        problems += _name_problems(rows[field], names, ids, field)
    for field in ("quality", "confidence", "speedup", "tests"):
        parsed[field] = _as_float(rows[field])
        problems += _number_problems(rows[field], parsed[field], field, chunk.written)
    parsed["created_at"], stamp_problems = _parse_created_at(rows["created_at"], timestamps)
    problems += stamp_problems
    type_text = _optional_text(rows, "algorithm_type")
    parsed["algorithm_type"] = type_text.str.lower()
    problems += _type_problems(rows, type_text, parsed["algorithm_type"])
    for field in ("validator", "hypothesis", "id"):
        parsed[field] = _optional_text(rows, field)
        if field in rows:
            problems += _first_failures(field, [_control_check(parsed[field])])
    return pd.DataFrame(parsed).reset_index(drop=True), problems


def _parse_created_at(raw: pd.Series, timestamps: Timestamps) -> tuple[pd.Series, list[Problem]]:
    blank = _blank(raw)
    stamps, checks = timestamps.parse(raw, blank)
    # A control character never parses as a time: only unparsed values need the slower search.
    control = _control_check(raw, stamps.isna().to_numpy())
    return stamps, _first_failures("created_at", [(blank, lambda _i: "is empty"), control, *checks])


def _per_unique(values, func: Callable[[str], str]) -> pd.Categorical:
    """``func`` applied once to each distinct value: names repeat across millions of rows."""
    codes, uniques = pd.factorize(values)
    results = [func(value) for value in uniques] + [""]  # a missing value has code -1: the ""
    result_codes, categories = pd.factorize(np.array(results, dtype=object))
    return pd.Categorical.from_codes(result_codes[codes], categories=categories)


def _name_problems(raw: pd.Series, names: pd.Categorical, ids: pd.Categorical, field: str) -> list[Problem]:
    categories = pd.Series(names.categories, dtype="str")
    has_control = categories.str.contains(CONTROL_CHARACTERS, regex=True, na=False).to_numpy(dtype=bool)
    return _first_failures(field, [
        (names == "", lambda _i: "is empty"),
        (has_control[names.codes], lambda i: _control_message(raw.iat[i])),
        (ids == "", lambda i: f"{show(raw.iat[i])} has no letters or digits to make an id from"),
    ])


def _control_check(text: pd.Series, where: np.ndarray | None = None) -> tuple[np.ndarray, Callable[[int], str]]:
    """Text holding a control character (which breaks CSV exports, terminals and logs), searched ``where``."""
    found = np.zeros(len(text), dtype=bool)
    if pd.api.types.is_string_dtype(text) or pd.api.types.is_object_dtype(text):  # typed values hold no text
        searched = text if where is None else text[where]
        hits = searched.astype("str").str.contains(CONTROL_CHARACTERS, regex=True, na=False).to_numpy(dtype=bool)
        if where is None:
            found = hits
        else:
            found[where] = hits
    return found, lambda i: _control_message(text.iat[i])


def _control_message(value) -> str:
    character = next(ch for ch in str(value) if ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F)
    return f"{show(value)} contains a control character (U+{ord(character):04X})"


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


def _number_problems(raw: pd.Series, values: np.ndarray, field: str,
                     written: Callable[[int, str], str | None]) -> list[Problem]:
    finite = np.isfinite(values)
    safe = np.where(finite, values, 0.0)  # rules see no NaN/inf: those rows already failed
    as_written = _as_written(raw, field, written)
    checks = [
        (_blank(raw), lambda _i: "is empty"),
        (np.isnan(values), lambda i: f"{show(raw.iat[i])} is not a number"),
        (~finite, lambda i: f"{as_written(i)} is not a finite number"),
    ]
    for rule, text in _NUMBER_RULES[field]:
        checks.append((~rule(safe), lambda i, text=text: f"{as_written(i)} {text}"))
    return _first_failures(field, checks)


def _as_written(raw: pd.Series, field: str, written: Callable[[int, str], str | None]) -> Callable[[int], str]:
    """Row position -> the number as the file wrote it: ``100.00000000000001``, never ``100``."""
    def text(i: int) -> str:
        value = raw.iat[i]
        if isinstance(value, str):
            return bare(value)
        kept = written(int(raw.index[i]), field)
        return bare(kept) if kept is not None else show(value)
    return text


def _type_problems(rows: pd.DataFrame, text: pd.Series, types: pd.Series) -> list[Problem]:
    if "algorithm_type" not in rows:
        return []
    raw = rows["algorithm_type"]
    allowed = ", ".join(ALGORITHM_TYPES)
    unknown = (types.notna() & ~types.isin(ALGORITHM_TYPES)).to_numpy()
    return _first_failures("algorithm_type", [
        _control_check(text),
        (unknown, lambda i: f"{show(raw.iat[i])} is not one of {allowed}"),
    ])


def _optional_text(rows: pd.DataFrame, field: str) -> pd.Series:
    """The stripped text of an optional column, NaN where absent or empty."""
    if field not in rows:
        return pd.Series(np.nan, index=rows.index, dtype="str")
    text = rows[field].astype("str").str.strip()
    return text.mask(text == "")


def _blank(raw: pd.Series) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(raw) or pd.api.types.is_datetime64_any_dtype(raw):
        return raw.isna().to_numpy()
    return (raw.isna() | (raw.astype("str").str.strip() == "")).to_numpy()


def _first_failures(field: str, checks: list) -> list[Problem]:
    """One problem per row and column: the first of ``checks`` (mask, describe row position) it fails."""
    problems: list[Problem] = []
    taken: np.ndarray | None = None  # rows that failed an earlier check
    for mask, describe in checks:
        mask = np.asarray(mask, dtype=bool)
        mask = mask if taken is None else mask & ~taken
        taken = mask.copy() if taken is None else taken | mask
        problems.append(Problem(field, mask, describe))
    return problems
