"""POST /api/v1/validations: labs push batches of records, through the importer's checks, all or none.

Expected counts and values are written by hand from the batches below.
"""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from helios_dash.schema import audit_log, validations
from tests.auth import token_for

URL = "/api/v1/validations"
BATCH = [
    {"id": "lab-1", "algorithm": "Ingest Probe Solver", "domain": "quantum", "quality": 80.5, "confidence": 0.9,
     "speedup": 2.0, "tests": 10, "created_at": "2026-11-30T10:00:00Z"},
    {"id": "lab-2", "algorithm": "Ingest Probe Solver", "domain": "quantum", "quality": 91, "confidence": 0.8,
     "speedup": 3.25, "tests": 6, "created_at": "2026-11-30T11:00:00Z", "validator": "lab-bench"},
]


@pytest.fixture
def editor(runtime):
    return {"Authorization": f"Bearer {token_for(runtime.store, 'editor', ('read', 'write'))}"}


def probe_rows(store) -> list[tuple]:
    """(record_key, quality, speedup, tests, validator) of the probe's rows; a missing validator as None."""
    return [tuple(None if value != value else value for value in row) for row in store.read(
        sa.select(validations.c.record_key, validations.c.quality, validations.c.speedup, validations.c.tests,
                  validations.c.validator).where(validations.c.record_key.like("id:lab-%"))
        .order_by(validations.c.record_key)).itertuples(index=False)]


def test_a_batch_is_added_once_and_again_is_a_no_op(client, runtime, editor):
    first = client.post(URL, json=BATCH, headers=editor)
    assert first.status_code == 201, first.get_json()
    expected = {"records": 2, "inserted": 2, "duplicates": 0, "algorithms_created": 1}
    assert {key: first.get_json()["data"][key] for key in expected} == expected
    assert probe_rows(runtime.store) == [("id:lab-1", 80.5, 2.0, 10, None), ("id:lab-2", 91.0, 3.25, 6, "lab-bench")]
    again = client.post(URL, json=BATCH, headers=editor)  # idempotent by id: a retry after a timeout is safe
    assert again.status_code == 200 and again.get_json()["data"]["inserted"] == 0
    assert again.get_json()["data"]["duplicates"] == 2
    assert len(probe_rows(runtime.store)) == 2
    entries = runtime.store.read(sa.select(audit_log.c.action, audit_log.c.changes)
                                 .where(audit_log.c.action == "validations.ingest").order_by(audit_log.c.id))
    assert [json.loads(c)["inserted"] for c in entries["changes"]] == [2, 0]


def test_ndjson_is_read_line_by_line(client, runtime, editor):
    body = "\n".join(json.dumps(record) for record in BATCH) + "\n\n"
    answer = client.post(URL, data=body, headers={**editor, "Content-Type": "application/x-ndjson"})
    assert answer.status_code == 201 and answer.get_json()["data"]["inserted"] == 2


def test_one_bad_record_refuses_the_whole_batch_naming_it(client, runtime, editor):
    bad = [BATCH[0], {**BATCH[1], "quality": 150}]
    answer = client.post(URL, json=bad, headers=editor)
    assert answer.status_code == 400
    error = answer.get_json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert {"record": 2, "field": "quality"} == {k: error["details"][0][k] for k in ("record", "field")}
    assert probe_rows(runtime.store) == []  # nothing half-written


@pytest.mark.parametrize("body, field, message", [
    ([{**BATCH[0], "quality": {"value": 80}}], "quality", "must be text or a number"),
    ([{**BATCH[0], "colour": "red"}], "colour", "unknown field"),
    ([{**BATCH[0], "algorithm": "two\nlines"}], "algorithm", "line breaks are not allowed"),
    (["not an object"], None, "not an object"),
])
def test_malformed_records_are_named(client, editor, body, field, message):
    answer = client.post(URL, json=body, headers=editor)
    assert answer.status_code == 400
    assert answer.get_json()["error"]["details"][0] == {"record": 1, "field": field, "message": message}


@pytest.mark.parametrize("body", [[], {"records": BATCH}, "text"])
def test_a_body_that_is_not_a_list_of_records_is_refused(client, editor, body):
    answer = client.post(URL, json=body, headers=editor)
    assert answer.status_code == 400 and answer.get_json()["error"]["details"][0]["field"] == "body"


def test_a_batch_over_the_cap_is_refused_before_any_work(client, runtime, editor, monkeypatch):
    from helios_dash.services import ingest

    monkeypatch.setattr(ingest, "MAX_RECORDS", 1)
    answer = client.post(URL, json=BATCH, headers=editor)
    assert answer.status_code == 400 and "at most 1 records" in answer.get_json()["error"]["details"][0]["message"]
    assert probe_rows(runtime.store) == []


def test_viewers_may_not_add_validations(client, runtime):
    viewer = {"Authorization": f"Bearer {token_for(runtime.store, 'viewer', ('read', 'write'))}"}
    assert client.post(URL, json=BATCH, headers=viewer).status_code == 403
    assert client.post(URL, json=BATCH).status_code == 403  # the default client: a viewer's read token
    assert probe_rows(runtime.store) == []
