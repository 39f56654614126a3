"""Item 12: a record id given twice with different content rejects the file; identical content is a no-op.

Expected values are worked out by hand from the files written here; stored rows are read with plain SQL.
"""
from __future__ import annotations

import pytest

from helios_dash.errors import BadRequest
from helios_dash.importer import ImportResult, import_file
from test_importer import HEADER, counts, query, write_csv

COLUMNS = "id," + HEADER


def test_same_id_twice_in_one_file_with_other_content_rejects_the_file_naming_both_lines(store, tmp_path):
    path = write_csv(tmp_path, [COLUMNS,
                                "r1,QAOA,quantum,70,0.5,1.5,4,2026-03-02",
                                "r2,QAOA,quantum,80,0.5,1.5,4,2026-03-02",
                                "r1,QAOA,quantum,71,0.5,1.5,4,2026-03-02"])  # line 4: quality 71, not 70
    before = store.data_version()

    with pytest.raises(BadRequest) as caught:
        import_file(store, path)

    message = caught.value.message
    assert "1 bad row," in message
    assert "line 4, column id: 'r1' is also on line 2 with other values (quality)" in message
    assert caught.value.details == [{"line": 4, "field": "id",
                                     "message": "'r1' is also on line 2 with other values (quality)"}]
    assert counts(store) == (0, 0, 0) and store.data_version() == before


def test_same_id_as_a_stored_record_with_other_content_rejects_the_file(store, tmp_path):
    import_file(store, write_csv(tmp_path, [COLUMNS, "r1,QAOA,quantum,70,0.5,1.5,4,2026-03-02"], "a.csv"))
    before = store.data_version()
    other = write_csv(tmp_path, [COLUMNS,
                                 "r2,QAOA,quantum,80,0.5,1.5,4,2026-03-02",
                                 "r1,QAOA,quantum,99,0.9,1.5,4,2026-03-02"], "b.csv")

    with pytest.raises(BadRequest) as caught:
        import_file(store, other)

    # The stored r1 is validation 1; line 3 differs from it in quality and confidence.
    assert ("line 3, column id: 'r1' is stored already as validation 1 with other values "
            "(quality, confidence)") in caught.value.message
    assert counts(store) == (1, 1, 1) and store.data_version() == before


def test_every_conflicting_row_is_counted(store, tmp_path):
    import_file(store, write_csv(tmp_path, [COLUMNS, "r1,QAOA,quantum,70,0.5,1.5,4,2026-03-02"], "a.csv"))
    other = write_csv(tmp_path, [COLUMNS,
                                 "r1,QAOA,quantum,70,0.5,1.5,5,2026-03-02",  # line 2: tests differ from stored
                                 "r3,Grover,quantum,60,0.5,1.5,4,2026-03-02",
                                 "r3,Grover,quantum,60,0.5,1.5,4,2026-03-03",  # line 4: time differs from line 3
                                 "r3,Grover,quantum,60,0.5,1.5,4,2026-03-02"], "b.csv")  # line 5: same as line 3
    with pytest.raises(BadRequest) as caught:
        import_file(store, other)
    assert "2 bad rows," in caught.value.message
    assert [(d["line"], d["field"]) for d in caught.value.details] == [(2, "id"), (4, "id")]
    assert "'r3' is also on line 3 with other values (created_at)" in caught.value.details[1]["message"]


def test_identical_records_under_one_id_stay_a_no_op(store, tmp_path):
    import_file(store, write_csv(tmp_path, [COLUMNS, "r1,QAOA,quantum,70,0.5,1.5,4,2026-03-02T00:00:00Z"], "a.csv"))
    # r1 again, written differently but equal once normalised (70.0 = 70, +01:00 of 01:00 = 00:00 UTC),
    # twice; and one new record r2.
    other = write_csv(tmp_path, [COLUMNS,
                                 "r1,QAOA,quantum,70.0,0.50,1.5,4,2026-03-02T01:00:00+01:00",
                                 "r2,QAOA,quantum,80,0.5,1.5,4,2026-03-02",
                                 "r1, QAOA ,quantum,70,0.5,1.5,4,2026-03-02"], "b.csv")

    result = import_file(store, other)

    assert result == ImportResult(rows_read=3, inserted=1, duplicates=2, domains_created=0, algorithms_created=0)
    assert query(store, "SELECT id, record_key, quality FROM validations ORDER BY id") == [
        (1, "id:r1", 70.0), (2, "id:r2", 80.0)]
    assert import_file(store, other).inserted == 0


def test_portable_path_rejects_conflicting_ids_too(store, tmp_path):
    import_file(store, write_csv(tmp_path, [COLUMNS + ",validator",
                                            "r1,QAOA,quantum,70,0.5,1.5,4,2026-03-02,ann"], "a.csv"))
    before = store.data_version()
    other = write_csv(tmp_path, [COLUMNS + ",validator",
                                 "r1,QAOA,quantum,70,0.5,1.5,4,2026-03-02,bob",  # validator differs from stored
                                 "r2,QAOA,quantum,70,0.5,1.5,4,2026-03-02,",
                                 "r2,QAOA,quantum,70,0.5,1.5,4,2026-03-02,eve"], "b.csv")  # validator NULL vs 'eve'
    with pytest.raises(BadRequest) as caught:
        import_file(store, other)
    assert [(d["line"], d["field"]) for d in caught.value.details] == [(2, "id"), (4, "id")]
    assert "as validation 1 with other values (validator)" in caught.value.details[0]["message"]
    assert "'r2' is also on line 3 with other values (validator)" in caught.value.details[1]["message"]
    assert counts(store) == (1, 1, 1) and store.data_version() == before
