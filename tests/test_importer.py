"""The importer, checked against small hand-written files and large generated ones.

Every expected value is worked out by hand from the file written in the test (the
arithmetic is in the comments) or, for generated files, computed with numpy from the
generated arrays, never by the importer itself. Stored rows are read back with plain SQL.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from helios_dash.errors import BadRequest
from helios_dash.importer import ImportResult, import_file, parse_column_map
from helios_dash.store import open_store

HEADER = "algorithm,domain,quality,confidence,speedup,tests,created_at"
GOOD_ROW = {"algorithm": "QAOA", "domain": "quantum", "quality": "70", "confidence": "0.5",
            "speedup": "1.5", "tests": "4", "created_at": "2026-03-02T00:00:00Z"}
REPO = Path(__file__).resolve().parents[1]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def write_csv(tmp_path: Path, lines: list[str], name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def csv_line(row: dict[str, str], columns: list[str]) -> str:
    return ",".join(row[c] for c in columns)


def query(store, sql: str) -> list[tuple]:
    with store.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(sa.text(sql))]


def counts(store) -> tuple[int, int, int]:
    """(validations, domains, algorithms) row counts."""
    return tuple(query(store, f"SELECT count(*) FROM {table}")[0][0]
                 for table in ("validations", "domains", "algorithms"))


# -- good files ------------------------------------------------------------------------

def test_good_csv_is_stored_with_new_domains_and_algorithms(store, tmp_path):
    path = write_csv(tmp_path, [
        HEADER + ",validator,algorithm_type,hypothesis",
        "Warm-Started VQE,quantum,87.5,0.9,2.5,10,2026-03-01T10:00:00+02:00,alice,improved,h-1",
        "Warm-Started VQE,quantum,90,0.95,3,20,2026-02-27 09:30:00,bob,,",
        "Tabu Search,machine_learning,55,0.25,1.25,0,2026-03-05,,,",
    ])
    before = store.data_version()

    result = import_file(store, path)

    assert result == ImportResult(rows_read=3, inserted=3, duplicates=0, domains_created=2, algorithms_created=2)
    assert store.data_version() == before + 1
    assert query(store, "SELECT id, algorithm_id, domain_id, hypothesis_id, quality, confidence, speedup, "
                        "tests, validator, created_at FROM validations ORDER BY id") == [
        (1, "warm-started-vqe", "quantum", "h-1", 87.5, 0.9, 2.5, 10, "alice", utc(2026, 3, 1, 8)),
        (2, "warm-started-vqe", "quantum", None, 90.0, 0.95, 3.0, 20, "bob", utc(2026, 2, 27, 9, 30)),
        (3, "tabu-search", "machine-learning", None, 55.0, 0.25, 1.25, 0, None, utc(2026, 3, 5)),
    ]
    assert query(store, "SELECT id, name FROM domains ORDER BY id") == [
        ("machine-learning", "Machine Learning"), ("quantum", "Quantum")]
    # created_at: the earliest of the algorithm's rows (27 Feb 09:30 before 1 Mar 08:00);
    # type: as given, or "novel" where the file gives none.
    assert query(store, "SELECT id, name, domain_id, type, created_at FROM algorithms ORDER BY id") == [
        ("tabu-search", "Tabu Search", "machine-learning", "novel", utc(2026, 3, 5)),
        ("warm-started-vqe", "Warm-Started VQE", "quantum", "improved", utc(2026, 2, 27, 9, 30)),
    ]


def test_record_keys_are_the_given_id_or_a_stable_content_hash(store, tmp_path):
    path = write_csv(tmp_path, [
        "id," + HEADER + ",validator",
        "r-1,QAOA,quantum,70,0.5,1.5,4,2026-03-02T00:00:00Z,",
        ",Warm-Started VQE,quantum,87.50,0.9,2.5,10,2026-03-01T10:00:00+02:00,alice",
    ])
    import_file(store, path)
    # The normalised content, written out by hand: ids, numbers, UTC time, validator, hypothesis.
    content = "\x1f".join(["warm-started-vqe", "quantum", "87.5", "0.9", "2.5", "10",
                             "2026-03-01T08:00:00.000000+00:00", "alice", ""])
    expected = "sha1:" + hashlib.sha1(content.encode()).hexdigest()
    assert query(store, "SELECT record_key FROM validations ORDER BY id") == [("id:r-1",), (expected,)]


def test_existing_algorithms_are_reused(store, tmp_path):
    import_file(store, write_csv(tmp_path, [HEADER, csv_line(GOOD_ROW, HEADER.split(","))], "first.csv"))
    second = write_csv(tmp_path, [HEADER, "QAOA,quantum,80,0.75,2,6,2026-03-03T00:00:00Z"], "second.csv")

    result = import_file(store, second)

    assert result == ImportResult(rows_read=1, inserted=1, duplicates=0, domains_created=0, algorithms_created=0)
    assert counts(store) == (2, 1, 1)
    assert query(store, "SELECT id, quality FROM validations ORDER BY id") == [(1, 70.0), (2, 80.0)]


def test_timestamps_with_and_without_offset_are_stored_in_utc(store, tmp_path):
    path = write_csv(tmp_path, [
        HEADER,
        "QAOA,quantum,70,0.5,1.5,1,2026-03-01T10:00:00+02:00",  # 10:00 at +02:00 is 08:00 UTC
        "QAOA,quantum,70,0.5,1.5,2,2026-03-01 10:00:00",  # naive: taken as UTC
        "QAOA,quantum,70,0.5,1.5,3,2026-03-01T10:00:00Z",
        "QAOA,quantum,70,0.5,1.5,4,2026-03-01T10:00:00-05:30",  # 10:00 + 5:30 = 15:30 UTC
        "QAOA,quantum,70,0.5,1.5,5,2026-03-01",  # a date: midnight UTC
    ])
    import_file(store, path)
    assert query(store, "SELECT tests, created_at FROM validations ORDER BY tests") == [
        (1, utc(2026, 3, 1, 8)), (2, utc(2026, 3, 1, 10)), (3, utc(2026, 3, 1, 10)),
        (4, utc(2026, 3, 1, 15, 30)), (5, utc(2026, 3, 1)),
    ]


def test_parquet_file_with_typed_columns(store, tmp_path):
    path = tmp_path / "data.parquet"
    pq.write_table(pa.table({
        "algorithm": ["QAOA", "Grover"],
        "domain": ["quantum", "quantum"],
        "quality": pa.array([70, 91], pa.int64()),
        "confidence": [0.5, 0.75],
        "speedup": [1.5, 4.0],
        "tests": pa.array([4, 12], pa.int32()),
        "created_at": pa.array([datetime(2026, 3, 1, 10), datetime(2026, 3, 2, 12)],
                               pa.timestamp("us", tz="Europe/Berlin")),
        "algorithm_type": ["baseline", "hybrid"],
        "id": pa.array([7, 8], pa.int64()),
    }), path)

    result = import_file(store, path)

    assert result == ImportResult(rows_read=2, inserted=2, duplicates=0, domains_created=1, algorithms_created=2)
    # Stored as UTC instants: 10:00 UTC stays 10:00 whatever zone the column is shown in.
    stored = query(store, "SELECT algorithm_id, quality, tests, created_at, record_key FROM validations ORDER BY id")
    assert stored == [("qaoa", 70.0, 4, utc(2026, 3, 1, 10), "id:7"),
                      ("grover", 91.0, 12, utc(2026, 3, 2, 12), "id:8")]
    assert query(store, "SELECT id, type FROM algorithms ORDER BY id") == [
        ("grover", "hybrid"), ("qaoa", "baseline")]


def test_gzipped_csv_with_progress_bar(store, tmp_path, capsys):
    path = tmp_path / "data.csv.gz"
    path.write_bytes(gzip.compress(f"{HEADER}\nQAOA,quantum,70,0.5,1.5,4,2026-03-02\n".encode()))
    assert import_file(store, path, progress=True).inserted == 1
    assert "checking data.csv.gz" in capsys.readouterr().err
    assert query(store, "SELECT algorithm_id, tests FROM validations") == [("qaoa", 4)]


def test_blank_lines_are_skipped_and_still_counted_as_lines(store, tmp_path):
    path = write_csv(tmp_path, [HEADER, "QAOA,quantum,70,0.5,1.5,4,2026-03-02", "",
                                "QAOA,quantum,170,0.5,1.5,4,2026-03-02"])
    with pytest.raises(BadRequest, match="line 4, column quality: 170 is outside 0-100"):
        import_file(store, path)


def test_header_only_file_imports_nothing(store, tmp_path):
    before = store.data_version()
    assert import_file(store, write_csv(tmp_path, [HEADER])) == ImportResult(0, 0, 0, 0, 0)
    assert store.data_version() == before


# -- column maps -----------------------------------------------------------------------

def test_column_map_renames_the_files_columns(store, tmp_path):
    path = write_csv(tmp_path, ["algo,field,score,conf,speedup,tests,when,notes",
                                "QAOA,quantum,70,0.5,1.5,4,2026-03-02T00:00:00Z,ignored"])
    column_map = parse_column_map(["algo=algorithm", "field=domain", " score = quality ",
                                   "conf=confidence", "when=created_at"])
    assert import_file(store, path, column_map).inserted == 1
    assert query(store, "SELECT algorithm_id, domain_id, quality, confidence, created_at FROM validations") == [
        ("qaoa", "quantum", 70.0, 0.5, utc(2026, 3, 2))]


@pytest.mark.parametrize("items, message", [
    (["quality"], "expected old=new"),
    (["=quality"], "expected old=new"),
    (["score="], "expected old=new"),
    (["score=bogus"], "unknown column(s) bogus"),
    (["score=quality", "score=tests"], "'score' is mapped twice"),
])
def test_parse_column_map_rejects_bad_items(items, message):
    with pytest.raises(BadRequest) as caught:
        parse_column_map(items)
    assert message in caught.value.message


def test_column_map_naming_an_absent_column_is_rejected(store, tmp_path):
    path = write_csv(tmp_path, [HEADER, csv_line(GOOD_ROW, HEADER.split(","))])
    with pytest.raises(BadRequest, match="has no column.* score"):
        import_file(store, path, {"score": "quality"})


# -- bad files and bad rows --------------------------------------------------------------

def assert_nothing_stored(store, version_before: int) -> None:
    assert counts(store) == (0, 0, 0)
    assert store.data_version() == version_before


@pytest.mark.parametrize("field, value, message", [
    ("quality", "150", "150 is outside 0-100"),
    ("quality", "123.5", "123.5 is outside 0-100"),
    ("quality", "abc", "'abc' is not a number"),
    ("quality", "", "is empty"),
    ("quality", "nan", "'nan' is not a number"),
    ("confidence", "1.5", "1.5 is outside 0-1"),
    ("confidence", "-0.1", "-0.1 is outside 0-1"),
    ("speedup", "0", "0 is not greater than 0"),
    ("speedup", "-1", "-1 is not greater than 0"),
    ("speedup", "inf", "inf is not a finite number"),
    ("tests", "-3", "-3 is negative"),
    ("tests", "2.5", "2.5 is not a whole number"),
    ("tests", "3000000000", "3000000000 is larger than 2147483647"),
    ("created_at", "yesterday", "'yesterday' is not an ISO 8601 timestamp"),
    ("created_at", "2026-02-30T10:00:00", "'2026-02-30T10:00:00' is not an ISO 8601 timestamp"),
    ("created_at", "", "is empty"),
    ("algorithm", "", "is empty"),
    ("algorithm", "   ", "is empty"),
    ("domain", "!!!", "'!!!' has no letters or digits to make an id from"),
    ("algorithm_type", "quantum-ish", "'quantum-ish' is not one of novel, baseline, improved, hybrid"),
])
def test_a_bad_row_rejects_the_whole_file(store, tmp_path, field, value, message):
    columns = HEADER.split(",") + ["algorithm_type"]
    good = dict(GOOD_ROW, algorithm_type="baseline")
    path = write_csv(tmp_path, [",".join(columns), csv_line(good, columns),
                                csv_line(dict(good, **{field: value}), columns), csv_line(good, columns)])
    before = store.data_version()

    with pytest.raises(BadRequest) as caught:
        import_file(store, path)

    assert f"line 3, column {field}: {message}" in caught.value.message
    assert "1 bad row," in caught.value.message
    assert caught.value.details[0]["line"] == 3 and caught.value.details[0]["field"] == field
    assert_nothing_stored(store, before)


def test_missing_required_columns_are_named(store, tmp_path):
    path = write_csv(tmp_path, ["algorithm,domain,quality,speedup,created_at",
                                "QAOA,quantum,70,1.5,2026-03-02"])
    before = store.data_version()
    with pytest.raises(BadRequest, match="lacks the required column.*confidence, tests"):
        import_file(store, path)
    assert_nothing_stored(store, before)


def test_algorithm_in_two_domains_within_the_file(store, tmp_path):
    path = write_csv(tmp_path, [HEADER, "QAOA,quantum,70,0.5,1.5,4,2026-03-02",
                                "QAOA,optimization,70,0.5,1.5,4,2026-03-02"])
    before = store.data_version()
    with pytest.raises(BadRequest, match="line 3, column domain: algorithm 'QAOA' belongs to domain 'quantum'"):
        import_file(store, path)
    assert_nothing_stored(store, before)


def test_algorithm_of_another_domain_in_the_store(store, tmp_path):
    import_file(store, write_csv(tmp_path, [HEADER, "QAOA,quantum,70,0.5,1.5,4,2026-03-02"], "first.csv"))
    before = store.data_version()
    second = write_csv(tmp_path, [HEADER, "Grover,search,70,0.5,1.5,4,2026-03-02",
                                  "QAOA,Optimization,70,0.5,1.5,4,2026-03-02"], "second.csv")
    with pytest.raises(BadRequest, match="line 3, column domain: algorithm 'QAOA' belongs to domain 'quantum'"):
        import_file(store, second)
    assert counts(store) == (1, 1, 1)  # the first file's row, domain and algorithm only
    assert store.data_version() == before


def test_message_counts_all_bad_rows_and_details_are_capped(store, tmp_path):
    bad = [f"QAOA,quantum,{100 + n},0.5,1.5,4,2026-03-02" for n in range(1, 151)]  # quality 101..250
    path = write_csv(tmp_path, [HEADER, "QAOA,quantum,70,0.5,1.5,4,2026-03-02", *bad])
    with pytest.raises(BadRequest) as caught:
        import_file(store, path)
    message = caught.value.message
    assert "150 bad rows" in message
    # Lines 3..7 hold the first five bad rows (quality 101..105); line 8 is not spelled out.
    assert "line 3, column quality: 101 is outside 0-100" in message
    assert "line 7, column quality: 105 is outside 0-100" in message and "line 8," not in message
    assert len(caught.value.details) == 100
    assert caught.value.details[-1] == {"line": 102, "field": "quality", "message": "200 is outside 0-100"}


def test_bad_parquet_row_is_named_by_row_number(store, tmp_path):
    path = tmp_path / "data.parquet"
    pq.write_table(pa.table({"algorithm": ["QAOA", "QAOA"], "domain": ["quantum", "quantum"],
                             "quality": [70.0, 70.0], "confidence": [0.5, 0.5], "speedup": [1.5, -2.0],
                             "tests": [4, 4], "created_at": ["2026-03-02", "2026-03-02"]}), path)
    before = store.data_version()
    with pytest.raises(BadRequest, match="row 2, column speedup: -2 is not greater than 0"):
        import_file(store, path)
    assert_nothing_stored(store, before)


@pytest.mark.parametrize("name, content, message", [
    ("data.xlsx", b"whatever", "supported file types are .csv, .csv.gz, .parquet, .pq"),
    ("empty.csv", b"", "empty.csv is empty"),
    ("broken.parquet", b"not parquet", "cannot read broken.parquet as Parquet"),
])
def test_unreadable_files_are_bad_requests(store, tmp_path, name, content, message):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(BadRequest) as caught:
        import_file(store, tmp_path / name)
    assert message in caught.value.message


def test_missing_file_is_a_bad_request(store, tmp_path):
    with pytest.raises(BadRequest, match="file not found: .*nowhere.csv"):
        import_file(store, tmp_path / "nowhere.csv")


def test_bad_row_deep_inside_a_large_file(store, tmp_path):
    rows = 300_000
    frame = generated_columns(rows, seed=3)
    frame["quality"][249_999] = 123.5  # data row 250,000 sits on line 250,001 (header is line 1)
    path = tmp_path / "deep.csv"
    pacsv.write_csv(pa.table(frame), path)
    before = store.data_version()

    with pytest.raises(BadRequest) as caught:
        import_file(store, path)

    assert "1 bad row," in caught.value.message
    assert "line 250001, column quality: 123.5 is outside 0-100" in caught.value.message
    assert_nothing_stored(store, before)


# -- duplicates ------------------------------------------------------------------------

def test_importing_the_same_file_twice_inserts_nothing_the_second_time(store, tmp_path):
    path = write_csv(tmp_path, [HEADER, "QAOA,quantum,70,0.5,1.5,4,2026-03-02",
                                "Grover,quantum,91,0.75,4,12,2026-03-03"])
    assert import_file(store, path).inserted == 2
    version = store.data_version()

    again = import_file(store, path)

    assert again == ImportResult(rows_read=2, inserted=0, duplicates=2, domains_created=0, algorithms_created=0)
    assert counts(store) == (2, 1, 2)
    assert store.data_version() == version


def test_same_content_without_id_is_recognised_however_written(store, tmp_path):
    import_file(store, write_csv(tmp_path, [HEADER, "QAOA,quantum,70,0.5,1.5,4,2026-03-02T10:00:00Z"], "a.csv"))
    # The same record (70.00 = 70, 12:00 at +02:00 = 10:00 UTC, columns reordered),
    # the same record again, and one new record (tests 5).
    other = write_csv(tmp_path, ["created_at,domain,algorithm,tests,speedup,confidence,quality",
                                 "2026-03-02T12:00:00+02:00,quantum, QAOA ,4,1.50,0.5,70.00",
                                 "2026-03-02T10:00:00,quantum,QAOA,4,1.5,0.5,70",
                                 "2026-03-02T10:00:00,quantum,QAOA,5,1.5,0.5,70"], "b.csv")

    result = import_file(store, other)

    assert (result.inserted, result.duplicates) == (1, 2)
    assert query(store, "SELECT id, tests FROM validations ORDER BY id") == [(1, 4), (2, 5)]


def test_same_id_with_the_same_content_is_a_duplicate(store, tmp_path):
    columns = "id," + HEADER
    import_file(store, write_csv(tmp_path, [columns, "r1,QAOA,quantum,70,0.5,1.5,4,2026-03-02"], "a.csv"))
    other = write_csv(tmp_path, [columns, "r1,QAOA,quantum,70,0.5,1.5,4,2026-03-02",
                                 "r2,QAOA,quantum,80,0.5,1.5,4,2026-03-02",
                                 "r2,QAOA,quantum,80.0,0.5,1.5,4,2026-03-02"], "b.csv")

    result = import_file(store, other)

    # r1 is stored already; the two r2 rows are one record (80.0 = 80). Other content under
    # a known id rejects the file: tests/test_importer_duplicates.py.
    assert (result.rows_read, result.inserted, result.duplicates) == (3, 1, 2)
    assert query(store, "SELECT id, record_key, quality FROM validations ORDER BY id") == [
        (1, "id:r1", 70.0), (2, "id:r2", 80.0)]


def test_portable_path_without_duckdb_sql_gives_the_same_result(store, tmp_path):
    """The path PostgreSQL takes (a temporary table filled by COPY) gives what DuckDB's read_parquet does."""
    path = write_csv(tmp_path, ["id," + HEADER + ",validator",
                                "r1,QAOA,quantum,70,0.5,1.5,4,2026-03-02,",
                                "r1,QAOA,quantum,70.0,0.5,1.5,4,2026-03-02T00:00:00Z,",
                                "r2,Grover,search,91,0.75,4,12,2026-03-03T02:00:00+02:00,eve"])
    assert import_file(store, path) == ImportResult(3, 2, 1, 2, 2)
    assert import_file(store, path) == ImportResult(3, 0, 3, 0, 0)
    assert query(store, "SELECT id, algorithm_id, quality, validator, hypothesis_id, created_at "
                        "FROM validations ORDER BY id") == [
        (1, "qaoa", 70.0, None, None, utc(2026, 3, 2)), (2, "grover", 91.0, "eve", None, utc(2026, 3, 3))]


# -- a large file, streamed ---------------------------------------------------------------

BIG_ROWS = 1_500_000
START = np.datetime64("2025-01-01T00:00:00", "s")


def generated_columns(rows: int, seed: int) -> dict[str, np.ndarray]:
    """Random but valid records: 40 algorithms over 4 domains; half the times given at +02:00."""
    rng = np.random.default_rng(seed)
    algorithm = rng.integers(0, 40, rows)
    seconds = rng.integers(0, 365 * 86400, rows)
    local = np.datetime_as_string(START + seconds + np.where(seconds % 2 == 1, 7200, 0), unit="s")
    return {
        "algorithm": np.array([f"Algo {n}" for n in range(40)])[algorithm],
        "domain": np.array(["quantum", "optimization", "machine_learning", "crypto"])[algorithm % 4],
        "quality": np.round(rng.uniform(0, 100, rows), 2),
        "confidence": np.round(rng.uniform(0, 1, rows), 3),
        "speedup": np.round(rng.uniform(0.1, 10, rows), 3),
        "tests": rng.integers(0, 500, rows),
        "created_at": np.char.add(local, np.where(seconds % 2 == 1, "+02:00", "")),
        "seconds": seconds,  # not a file column: the UTC instant, for expected values
    }


_IMPORT_IN_A_FRESH_PROCESS = """
import json, sys, time
from helios_dash.importer import import_file
from helios_dash.store import open_store

def peak_mb():  # VmHWM starts afresh at exec; ru_maxrss would carry over pytest's own peak
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024

store = open_store(sys.argv[1])
# The importer's own memory is measured: the rollups it triggers are DuckDB's (their upsert keeps
# an index over every bucket, several hundred MB at a million rows; measured apart, see issue 9).
store._write_hooks.clear()
with store.engine.connect() as conn:
    # DuckDB's buffer pool would otherwise cache up to 80% of RAM; cap it to see the importer's own use.
    conn.exec_driver_sql("SET GLOBAL memory_limit = '128MB'")
before = peak_mb()
start = time.perf_counter()
result = import_file(store, sys.argv[2])
seconds = time.perf_counter() - start
print(json.dumps({"inserted": result.inserted, "seconds": seconds, "extra_mb": peak_mb() - before}))
"""


def import_in_a_fresh_process(url: str, path: Path) -> dict:
    """Import in a new interpreter, so that its peak memory is the import's alone."""
    done = subprocess.run([sys.executable, "-c", _IMPORT_IN_A_FRESH_PROCESS, url, str(path)],
                          cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


@pytest.mark.slow
def test_huge_file_is_streamed_with_bounded_memory(tmp_path):
    columns = generated_columns(BIG_ROWS, seed=7)
    file_columns = {name: values for name, values in columns.items() if name != "seconds"}
    big, half = tmp_path / "big.csv", tmp_path / "half.csv"
    pacsv.write_csv(pa.table(file_columns), big)
    pacsv.write_csv(pa.table({n: v[: BIG_ROWS // 2] for n, v in file_columns.items()}), half)

    half_run = import_in_a_fresh_process(f"duckdb:///{tmp_path / 'half.duckdb'}", half)
    big_run = import_in_a_fresh_process(f"duckdb:///{tmp_path / 'big.duckdb'}", big)

    assert (half_run["inserted"], big_run["inserted"]) == (BIG_ROWS // 2, BIG_ROWS)
    # Twice the rows must not take noticeably more memory: the file is streamed, never held
    # whole. Measured: ~230 MB for either file, 128 MB of it DuckDB's capped buffer pool;
    # pandas holds the big file alone in 140 MB (Arrow strings) to 680 MB (object strings).
    assert big_run["extra_mb"] < half_run["extra_mb"] + 40
    assert big_run["extra_mb"] < 400
    store = open_store(f"duckdb:///{tmp_path / 'big.duckdb'}")
    try:
        assert_aggregates_match(store, columns)
    finally:
        store.close()


def assert_aggregates_match(store, columns: dict[str, np.ndarray]) -> None:
    rows, tests, quality, algorithms, first, last = query(store, (
        "SELECT count(*), sum(tests), sum(quality), count(DISTINCT algorithm_id), "
        "min(created_at), max(created_at) FROM validations"))[0]
    assert rows == BIG_ROWS
    assert tests == int(columns["tests"].sum())
    assert quality == pytest.approx(float(columns["quality"].sum()), rel=1e-9)
    assert algorithms == 40
    expected = [START + columns["seconds"].min(), START + columns["seconds"].max()]
    assert [first, last] == [utc(*_parts(t)) for t in expected]
    assert query(store, "SELECT min(id), max(id), count(DISTINCT record_key) FROM validations")[0] == (
        1, BIG_ROWS, BIG_ROWS)


def _parts(stamp: np.datetime64) -> tuple[int, ...]:
    moment = stamp.astype(datetime)
    return moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second
