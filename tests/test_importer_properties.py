"""Item 7: any rows at all are imported or rejected with a message naming line and column, never a crash.

Property-based (hypothesis): CSV files of arbitrary text, numbers, odd unicode, NaN, infinities, huge
and empty values, and Parquet files of typed columns holding the same kinds of values.
"""
from __future__ import annotations

import csv
import re
from datetime import datetime, timezone

import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helios_dash.errors import BadRequest
from helios_dash.importer import COLUMNS, ImportResult, import_file

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
EARLIEST, END = datetime(1970, 1, 1, tzinfo=timezone.utc), datetime(2200, 1, 1, tzinfo=timezone.utc)
SETTINGS = settings(max_examples=40, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

ODD_TEXT = ["", " ", "nan", "NaN", "inf", "-inf", "1e400", "-0", "0x10", "٣", "１００", "7_0", " 70 ",
            "\x00", "\t", "\u202e", "\ufeff", "é", "量子", "Алгоритм", "🚀", "-", "_", "1,5", '"', "'"]
ANY_TEXT = st.one_of(st.sampled_from(ODD_TEXT),
                     st.text(st.characters(exclude_categories=("Cs",)), max_size=30),
                     st.integers(100, 20_000).map(lambda n: "long " * n))
NUMBER_TEXT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10**30, 10**30).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=20).map(str),
)
GOOD = {
    "algorithm": st.sampled_from(["QAOA", "Grover", "Café Solver", "量子算法"]),
    "domain": st.sampled_from(["quantum", "search"]),
    "quality": st.sampled_from(["0", "70", "100", "99.5"]),
    "confidence": st.sampled_from(["0", "0.5", "1"]),
    "speedup": st.sampled_from(["0.1", "1.5", "1e3"]),
    "tests": st.sampled_from(["0", "4", "2147483647"]),
    "created_at": st.sampled_from(["2026-03-02", "2026-03-01T10:00:00+02:00", "1970-01-01T00:00:00Z"]),
    "algorithm_type": st.sampled_from(["", "novel", "HYBRID"]),
    "validator": st.sampled_from(["", "ann"]),
    "hypothesis": st.sampled_from(["", "h-1"]),
    "id": st.one_of(st.just(""), st.uuids().map(lambda uuid: uuid.hex[:8])),
}
WILD = st.one_of(ANY_TEXT, NUMBER_TEXT)
# A good row with up to three of its values replaced by wild ones: some files pass, most do not.
ROW = st.fixed_dictionaries(GOOD).flatmap(
    lambda row: st.one_of(st.just({}), st.dictionaries(st.sampled_from(list(GOOD)), WILD, min_size=1, max_size=3))
    .map(lambda wild: {**row, **wild}))


def assert_accepted_or_clearly_rejected(store, path, unit: str) -> None:
    try:
        result = import_file(store, path)
    except BadRequest as error:
        assert error.message.startswith(f"{path.name} has "), error.message
        assert error.details, error.message
        for detail in error.details:
            assert isinstance(detail["line"], int) and detail["line"] >= 1
            assert detail["field"] in COLUMNS or detail["field"] is None
            assert detail["message"] and len(detail["message"]) < 400
        first = error.details[0]
        where = f"{unit} {first['line']}" + (f", column {first['field']}" if first["field"] else "")
        assert f"{where}: {first['message']}" in error.message
    else:
        assert isinstance(result, ImportResult)
        assert_store_holds_only_valid_values(store)


def assert_store_holds_only_valid_values(store) -> None:
    """What any accepted file may leave behind: text without control characters, times in range."""
    with store.engine.connect() as conn:
        texts = conn.execute(sa.text(
            "SELECT algorithm_id, domain_id, hypothesis_id, validator, record_key FROM validations "
            "UNION ALL SELECT id, name, domain_id, type, NULL FROM algorithms "
            "UNION ALL SELECT id, name, NULL, NULL, NULL FROM domains")).all()
        first, last = conn.execute(sa.text("SELECT min(created_at), max(created_at) FROM validations")).one()
    assert not any(CONTROL.search(value) for row in texts for value in row if value)
    if first is not None:
        assert EARLIEST <= first and last < END


@SETTINGS
@given(rows=st.lists(ROW, min_size=1, max_size=4))
def test_any_csv_rows_are_imported_or_rejected_clearly(store, tmp_path, rows):
    path = tmp_path / "random.csv"
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(GOOD))
        writer.writeheader()
        writer.writerows(rows)
    assert_accepted_or_clearly_rejected(store, path, "line")


FLOATS = st.floats(allow_nan=True, allow_infinity=True)
INTS = st.integers(-2**63, 2**63 - 1)
TYPED = {  # column: (a valid value, any value of the column's Parquet type)
    "algorithm": (GOOD["algorithm"], ANY_TEXT),
    "domain": (GOOD["domain"], ANY_TEXT),
    "quality": (st.floats(0, 100), FLOATS),
    "confidence": (st.floats(0, 1), FLOATS),
    "speedup": (st.floats(0.001, 1e6), FLOATS),
    "tests": (st.integers(0, 1000), INTS),
    "created_at": (st.integers(1_000_000_000, 7_258_118_399), INTS),  # epoch seconds of 2001-2199
    "id": (st.none(), st.one_of(st.none(), INTS)),
}
TYPES = {"quality": pa.float64(), "confidence": pa.float64(), "speedup": pa.float64(), "tests": pa.int64(),
         "created_at": pa.int64(), "id": pa.int64()}
TYPED_ROW = st.fixed_dictionaries({column: good for column, (good, _) in TYPED.items()}).flatmap(
    lambda row: st.fixed_dictionaries({}, optional={column: wild for column, (_, wild) in TYPED.items()})
    .filter(lambda wild: len(wild) <= 2).map(lambda wild: {**row, **wild}))


@SETTINGS
@given(rows=st.lists(TYPED_ROW, min_size=1, max_size=4))
def test_any_typed_parquet_rows_are_imported_or_rejected_clearly(store, tmp_path, rows):
    table = pa.table({column: pa.array([row[column] for row in rows], TYPES.get(column, pa.string()))
                      for column in TYPED})
    path = tmp_path / "random.parquet"
    pq.write_table(table, path)
    assert_accepted_or_clearly_rejected(store, path, "row")
