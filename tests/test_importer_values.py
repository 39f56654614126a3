"""Item 14: control characters, extra fields, the date range, long values and numbers quoted as written."""
from __future__ import annotations

from datetime import datetime, timezone

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from helios_dash.errors import BadRequest
from helios_dash.importer import import_file
from test_importer import GOOD_ROW, HEADER, counts, csv_line, query, utc, write_csv

COLUMNS = HEADER.split(",") + ["validator", "hypothesis", "id"]
GOOD = dict(GOOD_ROW, validator="ann", hypothesis="h-1", id="r1")


def rejected(store, path) -> BadRequest:
    """The error importing ``path`` raised; the store must be left as it was."""
    before = (counts(store), store.data_version())
    with pytest.raises(BadRequest) as caught:
        import_file(store, path)
    assert (counts(store), store.data_version()) == before
    return caught.value


def bad_row_file(tmp_path, **changes: str):
    """A file whose line 2 is good and line 3 has ``changes``; written as bytes to keep every character."""
    lines = [",".join(COLUMNS), csv_line(dict(GOOD, id="r0"), COLUMNS), csv_line(dict(GOOD, **changes), COLUMNS)]
    path = tmp_path / "data.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode())
    return path


@pytest.mark.parametrize("field, value, shown", [
    ("algorithm", "QA\x00OA", "'QA\\x00OA' contains a control character (U+0000)"),
    ("domain", "quan\x1btum", "'quan\\x1btum' contains a control character (U+001B)"),
    ("validator", "ann\x07", "'ann\\x07' contains a control character (U+0007)"),
    ("hypothesis", "h\x7f1", "'h\\x7f1' contains a control character (U+007F)"),
    ("id", "r\x001", "'r\\x001' contains a control character (U+0000)"),
    ("created_at", "2026-03-02\x00", "'2026-03-02\\x00' contains a control character (U+0000)"),
])
def test_control_characters_in_text_fields_are_rejected(store, tmp_path, field, value, shown):
    error = rejected(store, bad_row_file(tmp_path, **{field: value}))
    assert f"line 3, column {field}: {shown}" in error.message


def test_control_characters_in_parquet_text_are_rejected(store, tmp_path):
    path = tmp_path / "data.parquet"
    pq.write_table(pa.table({"algorithm": ["QAOA"], "domain": ["quantum"], "quality": [70.0],
                             "confidence": [0.5], "speedup": [1.5], "tests": [4],
                             "created_at": ["2026-03-02"], "hypothesis": ["h\x001"]}), path)
    assert "row 1, column hypothesis: 'h\\x001' contains a control character (U+0000)" in rejected(store, path).message


@pytest.mark.parametrize("extra, fields", [(",surplus", 8), (",", 8), (",a,,c", 10)])
@pytest.mark.parametrize("line", [2, 3])  # the first data row is a special case of the CSV parser
def test_a_row_with_more_fields_than_the_header_is_rejected(store, tmp_path, extra, fields, line):
    rows = [csv_line(GOOD_ROW, HEADER.split(","))] * 2
    rows[line - 2] += extra
    error = rejected(store, write_csv(tmp_path, [HEADER, *rows]))
    message = f"has {fields} fields, more than the 7 of the header"
    assert f"line {line}: {message}" in error.message
    assert error.details == [{"line": line, "field": None, "message": message}]


def test_extra_fields_are_found_when_unused_columns_are_left_out(store, tmp_path):
    path = write_csv(tmp_path, [HEADER + ",notes", csv_line(GOOD_ROW, HEADER.split(",")) + ",x",
                                csv_line(GOOD_ROW, HEADER.split(",")) + ",x,y"])
    assert "line 3: has 9 fields, more than the 8 of the header" in rejected(store, path).message


def test_every_long_row_is_named_and_the_lines_after_it_keep_their_numbers(store, tmp_path, monkeypatch):
    monkeypatch.setattr("helios_dash.importer.reading.CHUNK_ROWS", 2)
    good = csv_line(GOOD_ROW, HEADER.split(","))
    path = write_csv(tmp_path, [HEADER, good, good.replace(",70,", ",170,"), good, good + ",x", good,
                                good + ",y,z", good.replace(",70,", ",1.8E2,")])
    error = rejected(store, path)
    assert "4 bad rows" in error.message
    assert [(d["line"], d["field"]) for d in error.details] == [(3, "quality"), (5, None), (7, None), (8, "quality")]
    assert "line 5: has 8 fields, more than the 7 of the header" in error.message
    assert "line 7: has 9 fields, more than the 7 of the header" in error.message
    assert "line 8, column quality: 1.8E2 is outside 0-100" in error.message  # its text, found by line


def test_long_rows_and_other_bad_rows_of_one_chunk_are_listed_in_line_order(store, tmp_path):
    good = csv_line(GOOD_ROW, HEADER.split(","))
    path = write_csv(tmp_path, [HEADER, good.replace(",70,", ",170,"), good + ",x", good.replace("QAOA", "")])
    error = rejected(store, path)
    assert [(d["line"], d["field"]) for d in error.details] == [(2, "quality"), (3, None), (4, "algorithm")]


@pytest.mark.parametrize("written", [
    "9999-12-31T23:00:00-05:00",  # 10000-01-01T04:00 UTC
    "0001-01-01T00:30:00+01:00",  # 31 Dec of 1 BC, 23:30 UTC
    "1969-12-31T23:59:59Z",
    "2200-01-01T00:00:00Z",
    "1970-01-01T00:30:00+01:00",  # 1969-12-31T23:30 UTC
])
def test_timestamps_outside_1970_to_2199_are_rejected(store, tmp_path, written):
    error = rejected(store, bad_row_file(tmp_path, created_at=written))
    assert (f"line 3, column created_at: '{written}' is outside the supported range "
            "1970-01-01 to 2199-12-31 (UTC)") in error.message


def test_the_first_and_last_moments_of_the_range_are_accepted(store, tmp_path):
    path = write_csv(tmp_path, [HEADER, "QAOA,quantum,70,0.5,1.5,1,1970-01-01T00:00:00Z",
                                "QAOA,quantum,70,0.5,1.5,2,2199-12-31T23:59:59.999999Z",
                                "QAOA,quantum,70,0.5,1.5,3,2200-01-01T00:30:00+01:00"])  # 2199-12-31T23:30 UTC
    import_file(store, path)
    assert query(store, "SELECT tests, created_at FROM validations ORDER BY tests") == [
        (1, utc(1970, 1, 1)), (2, datetime(2199, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc)),
        (3, utc(2199, 12, 31, 23, 30))]


def test_typed_parquet_timestamps_outside_the_range_are_rejected(store, tmp_path):
    path = tmp_path / "data.parquet"
    pq.write_table(pa.table({"algorithm": ["QAOA", "QAOA"], "domain": ["quantum"] * 2, "quality": [70.0] * 2,
                             "confidence": [0.5] * 2, "speedup": [1.5] * 2, "tests": [4] * 2,
                             "created_at": pa.array([datetime(2026, 3, 2), datetime(2300, 1, 1)],
                                                    pa.timestamp("us", tz="UTC"))}), path)
    assert "row 2, column created_at: 2300-01-01T00:00:00+00:00 is outside the supported range" in (
        rejected(store, path).message)


def test_a_ten_megabyte_value_is_quoted_cut_short(store, tmp_path):
    huge = "x" * 10_000_000
    error = rejected(store, bad_row_file(tmp_path, quality=huge))
    # 'xxx...' cut to about 80 characters, with the length of the whole value.
    assert f"line 3, column quality: '{'x' * 76}…' (10,000,000 characters) is not a number" in error.message
    assert len(error.message) < 300
    assert all(len(detail["message"]) < 200 for detail in error.details)


def test_a_long_name_is_cut_short_in_domain_messages_too(store, tmp_path):
    name = "Q" * 5000
    path = write_csv(tmp_path, [HEADER, f"{name},quantum,70,0.5,1.5,4,2026-03-02",
                                f"{name},search,70,0.5,1.5,4,2026-03-02"])
    message = rejected(store, path).message
    assert f"algorithm '{'Q' * 76}…' (5,000 characters) belongs to domain 'quantum'" in message
    assert len(message) < 400


@pytest.mark.parametrize("field, written, message", [
    ("quality", "100.00000000000001", "100.00000000000001 is outside 0-100"),
    ("quality", "1.50E+02", "1.50E+02 is outside 0-100"),
    ("confidence", "1.000000000000001", "1.000000000000001 is outside 0-1"),
    ("speedup", "-0.000", "-0.000 is not greater than 0"),
    ("tests", "4.50", "4.50 is not a whole number"),
    ("tests", "1e400", "1e400 is not a finite number"),
])
def test_numbers_are_quoted_exactly_as_written(store, tmp_path, field, written, message):
    error = rejected(store, bad_row_file(tmp_path, **{field: written}))
    assert f"line 3, column {field}: {message}" in error.message
