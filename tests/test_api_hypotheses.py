"""The hypotheses API over HTTP through the guard, on both databases: the guide's bodies and error
example, roles and scopes, redaction, failures that are answers (never a 500), and the rows it writes."""
from __future__ import annotations

from dataclasses import replace

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

import helios_dash.api.hypotheses  # noqa: F401 - registers the routes (until helios_dash/api/__init__.py does)
from helios_dash.runtime import RUNTIME_KEY
from helios_dash.schema import domains, hypotheses, validations
from tests.auth import ORIGIN, ensure_user, signed_in_client, token_for

KEY = Fernet.generate_key().decode()
GUIDE_BODY = {"hypothesis": "Warm-started VQE improves convergence", "domain": "quantum"}


@pytest.fixture
def runtime(runtime):
    """The conftest runtime (outside demo mode) with an encryption key and a quantum domain."""
    runtime.settings = replace(runtime.settings, encryption_keys=(KEY,))
    with runtime.store.write() as conn:
        conn.execute(domains.insert().values(id="quantum", name="Quantum"))
    return runtime


@pytest.fixture
def store(runtime):
    return runtime.store


def bearer(store, role, scopes=("read", "write")) -> dict:
    return {"Authorization": f"Bearer {token_for(store, role, scopes)}"}


def editor(store) -> dict:
    return bearer(store, "editor")


def test_the_guides_call_creates_and_validates_in_one_request(app, client, store):
    headers = editor(store)
    response = client.post("/api/v1/hypotheses/validate", json=GUIDE_BODY | {"validator": "demo"}, headers=headers)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "success" and set(body["meta"]) >= {"timestamp", "request_id", "version"}
    data = body["data"]
    assert response.headers["Location"] == f"/api/v1/hypotheses/{data['id']}"
    assert (data["hypothesis"], data["domain"], data["status"], data["validator"]) == (
        GUIDE_BODY["hypothesis"], "quantum", "validated", "demo")
    assert data["result"]["simulated"] is True and data["created_at"].endswith("Z")
    row = store.rows(sa.select(validations).where(validations.c.hypothesis_id == data["id"]))
    assert len(row) == 1 and row[0]["validator"] == "demo" and row[0]["quality"] == data["result"]["quality"]
    # The viewer's client reads it back, without the internal notes.
    seen = client.get(f"/api/v1/hypotheses/{data['id']}").get_json()["data"]
    assert seen["hypothesis"] == GUIDE_BODY["hypothesis"] and "internal_notes" not in seen
    assert [v["id"] for v in seen["validations"]] == [row[0]["id"]]


@pytest.mark.parametrize("body", [{"domain": "quantum"}, {"hypothesis": "", "domain": "quantum"},
                                  {"hypothesis": "   ", "domain": "quantum"}])
@pytest.mark.parametrize("path", ["/api/v1/hypotheses", "/api/v1/hypotheses/validate"])
def test_missing_text_is_the_guides_error_example(client, store, body, path):
    response = client.post(path, json=body | {"validator": "demo"}, headers=editor(store))
    assert response.status_code == 400
    assert response.get_json()["error"] == {"code": "VALIDATION_ERROR", "message": "Hypothesis text is required",
                                            "details": [{"field": "hypothesis", "message": "Cannot be empty"}]}
    assert store.scalar(sa.select(sa.func.count()).select_from(hypotheses)) == 0


@pytest.mark.parametrize("kwargs, status, field", [
    ({"data": "hypothesis=x", "content_type": "application/x-www-form-urlencoded"}, 415, "Content-Type"),
    ({"data": "{not json", "content_type": "application/json"}, 400, "body"),
    ({"json": ["a list"]}, 400, "body"),
    ({"json": {"hypothesis": "x", "domain": "astrology"}}, 400, "domain"),
    ({"json": {"hypothesis": "x", "domain": "quantum", "validator": "oracle"}}, 400, "validator"),
    ({"json": {"hypothesis": "x", "domain": "quantum", "validator": 7}}, 400, "validator"),
])
def test_bad_bodies_are_envelopes_naming_the_field(client, store, kwargs, status, field):
    response = client.post("/api/v1/hypotheses/validate", headers=editor(store), **kwargs)
    assert response.status_code == status
    assert response.get_json()["error"]["details"][0]["field"] == field
    assert store.scalar(sa.select(sa.func.count()).select_from(hypotheses)) == 0  # nothing half-made


def test_without_a_validator_outside_demo_mode_one_is_asked_for(client, store):
    response = client.post("/api/v1/hypotheses/validate", json=GUIDE_BODY, headers=editor(store))
    assert response.status_code == 400 and response.get_json()["error"]["details"][0]["field"] == "validator"


def test_in_demo_mode_the_guides_body_alone_is_enough(runtime, client, store):
    runtime.settings = replace(runtime.settings, demo_data=True)
    response = client.post("/api/v1/hypotheses/validate", json=GUIDE_BODY, headers=editor(store))
    assert response.status_code == 201 and response.get_json()["data"]["validator"] == "demo"


def test_evidence_without_a_validator_goes_to_benchmark(client, store):
    evidence = {"baseline_timings": [2.0, 2.2, 1.8], "candidate_timings": [1.0, 1.1, 0.9],
                "tests_passed": 4, "tests_total": 4}
    response = client.post("/api/v1/hypotheses/validate", json=GUIDE_BODY | {"evidence": evidence},
                           headers=editor(store))
    data = response.get_json()["data"]
    assert response.status_code == 201 and data["validator"] == "benchmark"
    assert data["result"]["speedup"] == pytest.approx(2.0)  # medians 2.0 and 1.0


def test_a_failing_validation_is_an_answer_not_a_500(client, store):
    response = client.post("/api/v1/hypotheses/validate", json=GUIDE_BODY | {"validator": "benchmark"},
                           headers=editor(store))
    data = response.get_json()["data"]
    assert response.status_code == 201 and data["status"] == "failed" and "baseline_timings" in data["failure_reason"]
    assert store.scalar(sa.select(sa.func.count()).select_from(validations)) == 0


def test_create_then_validate_in_two_calls(client, store):
    headers = editor(store)
    made = client.post("/api/v1/hypotheses", json=GUIDE_BODY | {"internal_notes": "n"}, headers=headers)
    assert made.status_code == 201 and made.get_json()["data"]["status"] == "draft"
    assert made.get_json()["data"]["internal_notes"] == "n"  # the editor sees the notes
    hypothesis_id = made.get_json()["data"]["id"]
    done = client.post(f"/api/v1/hypotheses/{hypothesis_id}/validate", json={"validator": "demo"}, headers=headers)
    assert done.status_code == 200 and done.get_json()["data"]["status"] == "validated"
    assert client.get("/api/v1/hypotheses/hyp_missing").status_code == 404
    assert client.post("/api/v1/hypotheses/hyp_missing/validate", json={"validator": "demo"},
                       headers=headers).get_json()["error"]["code"] == "NOT_FOUND"


def test_the_list_is_paginated(client, store):
    headers = editor(store)
    ids = [client.post("/api/v1/hypotheses", json={"hypothesis": f"h{i}", "domain": "quantum"},
                       headers=headers).get_json()["data"]["id"] for i in range(3)]
    response = client.get("/api/v1/hypotheses?per_page=2&page=2")
    body = response.get_json()
    assert body["meta"]["pagination"] == {"page": 2, "per_page": 2, "total": 3, "pages": 2}
    # page 2 of 2: first, prev and last, no next
    assert response.headers["Link"] == ('<http://localhost/api/v1/hypotheses?per_page=2&page=1>; rel="first", '
                                        '<http://localhost/api/v1/hypotheses?per_page=2&page=1>; rel="prev", '
                                        '<http://localhost/api/v1/hypotheses?per_page=2&page=2>; rel="last"')
    assert [h["id"] for h in body["data"]] == [ids[0]]
    assert client.get("/api/v1/hypotheses?per_page=1000").status_code == 400
    assert client.get("/api/v1/hypotheses?status=odd").get_json()["error"]["details"][0]["field"] == "status"


def test_validators_are_listed(client):
    body = client.get("/api/v1/validators").get_json()
    listed = {v["name"]: v for v in body["data"]}
    assert listed["benchmark"]["available"] and listed["demo"]["simulated"]


@pytest.mark.parametrize("headers_of, status", [
    (lambda store: {}, 403),  # the client's own viewer token (read, export)
    (lambda store: bearer(store, "viewer", ("read", "write", "export")), 403),  # a viewer, whatever the scopes
    (lambda store: bearer(store, "editor", ("read",)), 403),  # an editor's read-only token
    (lambda store: {"Authorization": "Bearer nonsense"}, 401),
])
def test_writes_need_an_editor_with_the_write_scope(client, store, headers_of, status):
    response = client.post("/api/v1/hypotheses/validate", json=GUIDE_BODY | {"validator": "demo"},
                           headers=headers_of(store))
    assert response.status_code == status
    assert store.scalar(sa.select(sa.func.count()).select_from(hypotheses)) == 0


def test_an_editor_session_writes_from_the_site_only(app, store):
    ensure_user(store, "editor")
    browser = signed_in_client(app, "editor@test.helios")
    assert browser.post("/api/v1/hypotheses", json=GUIDE_BODY).status_code == 403  # no Origin: cross-site
    assert browser.post("/api/v1/hypotheses", json=GUIDE_BODY, headers=ORIGIN).status_code == 201


def test_a_missing_key_is_a_503_envelope(runtime, client, store):
    runtime.settings = replace(runtime.settings, encryption_keys=())
    response = client.post("/api/v1/hypotheses", json=GUIDE_BODY, headers=editor(store))
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "ENCRYPTION_UNAVAILABLE"
    assert store.scalar(sa.select(sa.func.count()).select_from(hypotheses)) == 0


def test_a_wrong_key_is_a_503_envelope_never_garbage(runtime, client, store):
    made = client.post("/api/v1/hypotheses", json=GUIDE_BODY, headers=editor(store)).get_json()["data"]
    runtime.settings = replace(runtime.settings, encryption_keys=(Fernet.generate_key().decode(),))
    for path in (f"/api/v1/hypotheses/{made['id']}", "/api/v1/hypotheses"):
        response = client.get(path)
        assert response.status_code == 503 and response.get_json()["error"]["code"] == "ENCRYPTION_UNAVAILABLE"
    assert app_runtime_is(runtime, client)


def app_runtime_is(runtime, client) -> bool:
    return client.application.extensions[RUNTIME_KEY] is runtime
