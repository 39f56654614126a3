"""Item 16: epoch timestamps in seconds or milliseconds, as UTC: asked for with --epoch, or detected.

Epoch values worked out by hand: 2024-03-01 is 19,783 days after 1970-01-01 (54 years with 13 leap
days, then 31 + 29 days), so 1,709,251,200 s; 2000-01-01 is 10,957 days (30 years, 7 leap days), so
946,684,800 s; 2200-01-01 is 84,006 days (230 years, 56 leap days: 2100 is none), so 7,258,118,400 s.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from helios_dash.cli import main
from helios_dash.errors import BadRequest
from helios_dash.importer import import_file
from test_importer import HEADER, query, utc, write_csv


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def epoch_file(tmp_path, *stamps: str):
    return write_csv(tmp_path, [HEADER] + [f"QAOA,quantum,70,0.5,1.5,{n},{stamp}" for n, stamp in enumerate(stamps)])


def stored_times(store) -> list[datetime]:
    return [row[0] for row in query(store, "SELECT created_at FROM validations ORDER BY tests")]


def test_ten_digit_numbers_are_detected_as_epoch_seconds(store, tmp_path):
    result = import_file(store, epoch_file(tmp_path, "1709251200", "1709251260.5"))
    assert stored_times(store) == [utc(2024, 3, 1), at(2024, 3, 1, 0, 1, 0, 500000)]
    assert any("epoch seconds" in note and "detected" in note for note in result.notes)


def test_thirteen_digit_numbers_are_detected_as_epoch_milliseconds(store, tmp_path):
    result = import_file(store, epoch_file(tmp_path, "1709251200123", "1709251200000"))
    assert stored_times(store) == [at(2024, 3, 1, 0, 0, 0, 123000), utc(2024, 3, 1)]
    assert any("epoch milliseconds" in note for note in result.notes)


def test_numbers_of_mixed_magnitude_are_not_guessed(store, tmp_path):
    with pytest.raises(BadRequest) as caught:
        import_file(store, epoch_file(tmp_path, "1709251200", "1709251200123"))
    message = caught.value.message
    assert "2 bad rows" in message
    assert "line 2, column created_at: '1709251200' is not an ISO 8601 timestamp" in message
    assert "--epoch s or --epoch ms" in message


def test_rows_unlike_the_detected_epoch_are_rejected(store, tmp_path, monkeypatch):
    monkeypatch.setattr("helios_dash.importer.reading.CHUNK_ROWS", 2)  # detection sees lines 2-3 only
    path = epoch_file(tmp_path, "1709251200", "1709251201", "1709251200123", "2026-03-02")
    with pytest.raises(BadRequest) as caught:
        import_file(store, path)
    message = caught.value.message
    assert ("line 4, column created_at: 1709251200123 is not a 10-digit number like the column's "
            "other epoch seconds") in message
    assert "line 5, column created_at: '2026-03-02' is not a number of epoch seconds" in message


def test_explicit_epoch_seconds_accepts_any_magnitude_in_range(store, tmp_path):
    result = import_file(store, epoch_file(tmp_path, "946684800", "7258118399"), epoch="s")
    assert stored_times(store) == [utc(2000, 1, 1), at(2199, 12, 31, 23, 59, 59)]
    assert any("epoch seconds" in note and "--epoch s" in note for note in result.notes)


def test_explicit_epoch_wins_over_detection(store, tmp_path):
    # 1,709,251,200 ms = 1,709,251.2 s = 19 days (1,641,600 s) + 18 h 47 min 31.2 s.
    import_file(store, epoch_file(tmp_path, "1709251200"), epoch="ms")
    assert stored_times(store) == [at(1970, 1, 20, 18, 47, 31, 200000)]


@pytest.mark.parametrize("value, message", [
    ("7258118400", "7258118400 is outside the supported range 1970-01-01 to 2199-12-31 (UTC)"),
    ("-1", "-1 is outside the supported range 1970-01-01 to 2199-12-31 (UTC)"),
    ("2026-03-02", "'2026-03-02' is not a number of epoch seconds"),
])
def test_explicit_epoch_rejects_values_out_of_range_or_not_numbers(store, tmp_path, value, message):
    with pytest.raises(BadRequest) as caught:
        import_file(store, epoch_file(tmp_path, value), epoch="s")
    assert f"line 2, column created_at: {message}" in caught.value.message


def test_iso_dates_written_as_eight_digits_stay_dates(store, tmp_path):
    result = import_file(store, epoch_file(tmp_path, "20260302"))
    assert stored_times(store) == [utc(2026, 3, 2)] and result.notes == ()


def test_integer_epoch_column_of_a_parquet_file_is_detected(store, tmp_path):
    path = tmp_path / "data.parquet"
    pq.write_table(pa.table({"algorithm": ["QAOA"], "domain": ["quantum"], "quality": [70.0],
                             "confidence": [0.5], "speedup": [1.5], "tests": [4],
                             "created_at": pa.array([1709251200123], pa.int64())}), path)
    import_file(store, path)
    assert stored_times(store) == [at(2024, 3, 1, 0, 0, 0, 123000)]


def test_cli_epoch_option_and_summary(store_url, tmp_path, monkeypatch):
    monkeypatch.setenv("HELIOS_DATABASE_URL", store_url)
    runner = CliRunner()
    path = epoch_file(tmp_path, "946684800")
    result = runner.invoke(main, ["import", str(path), "--epoch", "s"])
    assert result.exit_code == 0, result.output
    assert "Imported 1 of 1 rows" in result.output and "epoch seconds" in result.output
    detected = runner.invoke(main, ["import", str(epoch_file(tmp_path, "1709251200000"))])
    assert detected.exit_code == 0, detected.output
    assert "epoch milliseconds" in detected.output and "detected" in detected.output
    bad = runner.invoke(main, ["import", str(path), "--epoch", "minutes"])
    assert bad.exit_code == 2 and "minutes" in bad.output
