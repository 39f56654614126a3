"""Research projects over HTTP through the guard, on both databases: 202 + Location, the job's progress up
to completed, results equal to validating each hypothesis alone, the audit trail, SSE (results, resume
with Last-Event-ID, heartbeat, end, never compressed), bad bodies, 404 and roles."""
from __future__ import annotations

import json
import threading
import time
from dataclasses import replace

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from helios_dash.api.v1.research_models import Research
from helios_dash.research import new_project, run_project
from helios_dash.schema import audit_log, domains, hypotheses, research_projects, validations
from tests.auth import OPERATOR, token_for

KEY = Fernet.generate_key().decode()
TEXTS = ["Warm-started VQE improves convergence", "Sparse attention halves memory", "Lazy rollups stay exact"]
DROP = object()  # a field left out of the body
DEADLINE = 60  # seconds: a bound on waiting, never a claim about speed
# baseline median 2.0, candidate median 1.0: speedup 2.0; every baseline time beats every candidate time,
# so the one-sided Mann-Whitney U test's exact p is 1 / C(6, 3) = 1/20 and the confidence 0.95.
EVIDENCE = {"baseline_timings": [2.0, 2.2, 1.8], "candidate_timings": [1.0, 1.1, 0.9],
            "tests_passed": 4, "tests_total": 4}


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


def editor(store, scopes=("read", "write")) -> dict:
    return {"Authorization": f"Bearer {token_for(store, 'editor', scopes)}"}


def body(**changes) -> dict:
    return {"name": "VQE sweep", "domain": "quantum", "hypotheses": TEXTS, "validator": "demo"} | changes


def wait_until_ended(client, location: str) -> tuple[dict, list[str]]:
    """Poll the project until it ends; returns it and every status seen on the way."""
    seen, deadline = [], time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        data = client.get(location).get_json()["data"]
        if not seen or seen[-1] != data["status"]:
            seen.append(data["status"])
        if data["status"] in ("completed", "failed"):
            return data, seen
        time.sleep(0.05)
    raise AssertionError(f"{location} did not end within {DEADLINE} s (statuses {seen})")


def parse_sse(text: str) -> list[dict]:
    """Events of an SSE body: {"id", "event", "data"} (comments kept as {"comment"})."""
    events = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        if block.startswith(":"):
            events.append({"comment": block[1:].strip()})
            continue
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append({"id": fields.get("id"), "event": fields.get("event"), "data": json.loads(fields["data"])})
    return events


def test_post_answers_202_and_the_job_validates_each_hypothesis(client, store):
    headers = editor(store)
    response = client.post("/api/v1/research", json=body(), headers=headers)
    assert response.status_code == 202, response.get_json()
    data = response.get_json()["data"]
    assert response.headers["Location"] == f"/api/v1/research/{data['id']}" == data["links"]["self"]
    assert data["status"] in ("queued", "running", "completed") and data["progress"]["total"] == 3
    Research.model_validate(data)
    done, seen = wait_until_ended(client, response.headers["Location"])
    order = ["queued", "running", "completed"]
    assert seen == sorted(seen, key=order.index) and seen[-1] == "completed"  # never backwards
    assert done["progress"] == {"done": 3, "total": 3, "percent": 100.0}
    assert done["started_at"] and done["finished_at"] and done["error"] is None
    Research.model_validate(done)
    assert [(r["index"], r["hypothesis"], r["status"]) for r in done["results"]] == [
        (1, TEXTS[0], "validated"), (2, TEXTS[1], "validated"), (3, TEXTS[2], "validated")]
    # Each result is what validating that hypothesis alone answers (the demo validator is deterministic).
    for result, text in zip(done["results"], TEXTS):
        alone = client.post("/api/v1/hypotheses/validate", json={"hypothesis": text, "domain": "quantum",
                                                                 "validator": "demo"}, headers=headers)
        assert result["validation"] == alone.get_json()["data"]["result"]
    # Each hypothesis exists, validated, with one validation row filed under it.
    ids = [r["hypothesis_id"] for r in done["results"]]
    rows = store.rows(sa.select(hypotheses.c.id, hypotheses.c.status).where(hypotheses.c.id.in_(ids)))
    assert sorted((row["id"], row["status"]) for row in rows) == sorted((i, "validated") for i in ids)
    filed = store.rows(sa.select(validations.c.hypothesis_id).where(validations.c.hypothesis_id.in_(ids)))
    assert sorted(row["hypothesis_id"] for row in filed) == sorted(ids)


def test_benchmark_results_are_the_statistics_by_hand(client, store):
    sent = {key: value for key, value in body(evidence=EVIDENCE, hypotheses=TEXTS[:2]).items() if key != "validator"}
    response = client.post("/api/v1/research", json=sent, headers=editor(store))
    done, _ = wait_until_ended(client, response.headers["Location"])
    assert done["validator"] == "benchmark"
    for result in done["results"]:
        validation = result["validation"]
        assert (validation["speedup"], validation["tests"]) == (pytest.approx(2.0), 4)
        assert validation["confidence"] == pytest.approx(0.95)


def test_a_failing_validation_is_a_failed_result_and_the_project_completes(client, store):
    response = client.post("/api/v1/research", json=body(validator="benchmark", hypotheses=TEXTS[:2]),
                           headers=editor(store))
    done, _ = wait_until_ended(client, response.headers["Location"])
    assert done["status"] == "completed"
    assert [r["status"] for r in done["results"]] == ["failed", "failed"]
    assert all("baseline_timings" in r["error"] and r["validation"] is None for r in done["results"])
    assert store.scalar(sa.select(sa.func.count()).select_from(validations)) == 0


def test_writes_are_audited_as_the_requester_with_the_requests_id(client, store):
    response = client.post("/api/v1/research", json=body(hypotheses=TEXTS[:2]), headers=editor(store))
    project_id, request_id = response.get_json()["data"]["id"], response.headers["X-Request-Id"]
    done, _ = wait_until_ended(client, response.headers["Location"])
    entries = store.rows(sa.select(audit_log.c.actor, audit_log.c.action, audit_log.c.resource_id,
                                   audit_log.c.request_id).where(audit_log.c.request_id == request_id)
                         .order_by(audit_log.c.id))
    actor = entries[0]["actor"]
    assert actor.startswith("token:")
    assert [(e["action"], e["resource_id"]) for e in entries] == [("research.create", project_id)] + [
        (action, r["hypothesis_id"]) for r in done["results"] for action in ("hypothesis.create", "hypothesis.validate")]
    assert {e["actor"] for e in entries} == {actor}


def research_events_of_a_project(client, runtime, store, texts) -> tuple[str, list]:
    """Run a project of ``texts`` to its end; its id and the research.* events the bus carried for it, in order."""
    heard = []
    runtime.bus.subscribe(lambda event, payload: heard.append((event, payload)))
    response = client.post("/api/v1/research", json=body(hypotheses=texts), headers=editor(store))
    project_id = response.get_json()["data"]["id"]
    wait_until_ended(client, response.headers["Location"])
    deadline = time.monotonic() + DEADLINE
    while not any(event == "research.completed" for event, _ in heard) and time.monotonic() < deadline:
        time.sleep(0.02)
    return project_id, [(event, payload) for event, payload in heard
                        if event.startswith("research.") and payload["id"] == project_id]


def test_research_completed_is_published_on_the_bus(client, runtime, store):
    project_id, heard = research_events_of_a_project(client, runtime, store, TEXTS[:1])
    assert ("research.completed", {"id": project_id, "status": "completed", "done": 1, "total": 1}) in heard


def test_each_recorded_result_is_published_as_progress(client, runtime, store):
    project_id, mine = research_events_of_a_project(client, runtime, store, TEXTS[:3])
    assert mine == [("research.progress", {"id": project_id, "status": "running", "done": n, "total": 3})
                    for n in (1, 2, 3)] + [("research.completed", {"id": project_id, "status": "completed",
                                                                   "done": 3, "total": 3})]


def test_the_stream_sends_each_result_then_end_and_resumes_after_last_event_id(client, store):
    response = client.post("/api/v1/research", json=body(), headers=editor(store))
    location = response.headers["Location"]
    done, _ = wait_until_ended(client, location)
    streamed = client.get(f"{location}/stream", headers={"Accept-Encoding": "gzip, br"})
    assert streamed.status_code == 200 and streamed.mimetype == "text/event-stream"
    assert "Content-Encoding" not in streamed.headers and streamed.headers["X-Accel-Buffering"] == "no"
    events = [e for e in parse_sse(streamed.get_data(as_text=True)) if "comment" not in e]
    assert [(e["id"], e["event"]) for e in events] == [("1", "result"), ("2", "result"), ("3", "result"),
                                                       (None, "end")]
    assert [e["data"] for e in events[:3]] == done["results"]
    assert events[-1]["data"]["status"] == "completed" and events[-1]["data"]["progress"]["done"] == 3
    resumed = client.get(f"{location}/stream", headers={"Last-Event-ID": "2"}).get_data(as_text=True)
    assert [(e["id"], e["event"]) for e in parse_sse(resumed) if "comment" not in e] == [("3", "result"),
                                                                                      (None, "end")]
    by_query = client.get(f"{location}/stream?last_event_id=3").get_data(as_text=True)
    assert [e["event"] for e in parse_sse(by_query) if "comment" not in e] == ["end"]
    assert client.get(f"{location}/stream", headers={"Last-Event-ID": "x"}).status_code == 400


def test_the_stream_beats_while_waiting_and_follows_the_job_to_its_end(client, runtime, store, monkeypatch):
    monkeypatch.setenv("HELIOS_SSE_HEARTBEAT", "0.01")
    client.get("/api/v1/research")  # the server's first request (which resumes queued projects) is behind us
    # A queued project nobody runs yet: the stream can only wait (and beat) until the test runs it.
    project_id = new_project(store, OPERATOR, name="held", domain="quantum", validator="demo", texts=TEXTS[:2],
                             evidence=None, keyring=keyring(runtime))
    streamed = client.get(f"/api/v1/research/{project_id}/stream", buffered=False)
    chunks, worker = iter(streamed.response), None
    try:
        text = ""
        deadline = time.monotonic() + DEADLINE
        while ": heartbeat" not in text and time.monotonic() < deadline:
            text += next(chunks).decode()
        assert ": heartbeat" in text and "event:" not in text
        worker = threading.Thread(target=run_project, args=(runtime, project_id))
        worker.start()
        for chunk in chunks:  # ends when the generator returns after "end"
            text += chunk.decode()
    finally:
        streamed.close()
        if worker:
            worker.join(DEADLINE)
    events = [e for e in parse_sse(text) if "comment" not in e]
    assert [(e["id"], e["event"]) for e in events] == [("1", "result"), ("2", "result"), (None, "end")]
    assert events[-1]["data"]["status"] == "completed"


def keyring(runtime):
    from helios_dash.crypto import keyring_for

    return keyring_for(runtime.settings)


@pytest.mark.parametrize("changes, field", [
    ({"name": DROP}, "name"),
    ({"name": ""}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"hypotheses": []}, "hypotheses"),
    ({"hypotheses": ["h"] * 51}, "hypotheses"),
    ({"hypotheses": "one text"}, "hypotheses"),
    ({"hypotheses": ["fine", "   "]}, "hypotheses"),
    ({"hypotheses": ["fine", 7]}, "hypotheses.1"),
    ({"domain": "astrology"}, "domain"),
    ({"validator": "oracle"}, "validator"),
    ({"validator": DROP}, "validator"),  # outside demo mode, without evidence: name one
    ({"evidence": [1, 2]}, "evidence"),
    ({"name": "nul\x00"}, "name"),
    ({"domain": "quan\x00tum"}, "domain"),
    ({"hypotheses": ["lone \ud800 surrogate"]}, "hypotheses.0"),
    ({"evidence": {"baseline_timings": [float("nan")]}}, "evidence"),
    ({"hypothesis": "the guide's singular"}, "hypothesis"),  # a misspelt field is named, not ignored
])
def test_bad_bodies_are_400_envelopes_naming_the_field(client, store, changes, field):
    sent = {key: value for key, value in (body() | changes).items() if value is not DROP}
    response = client.post("/api/v1/research", json=sent, headers=editor(store))
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and field in [d["field"] for d in error["details"]]
    assert store.scalar(sa.select(sa.func.count()).select_from(research_projects)) == 0


@pytest.mark.parametrize("kwargs, status", [
    ({"data": "name=x", "content_type": "application/x-www-form-urlencoded"}, 415),
    ({"data": "{not json", "content_type": "application/json"}, 400),
    ({"json": ["a list"]}, 400),
])
def test_bodies_that_are_not_json_objects(client, store, kwargs, status):
    assert client.post("/api/v1/research", headers=editor(store), **kwargs).status_code == status


def test_unknown_projects_are_404(client):
    for path in ("/api/v1/research/res_missing", "/api/v1/research/res_missing/stream",
                 "/api/v1/research/res_%00", f"/api/v1/research/res_{'0' * 32}"):
        response = client.get(path)
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "NOT_FOUND"


def test_viewers_and_read_only_tokens_cannot_start_research(client, store):
    assert client.post("/api/v1/research", json=body()).status_code == 403  # the viewer's token
    assert client.post("/api/v1/research", json=body(), headers=editor(store, ("read",))).status_code == 403
    assert store.scalar(sa.select(sa.func.count()).select_from(research_projects)) == 0


def test_the_list_is_newest_first_and_paginated(client, store):
    headers = editor(store)
    ids = [client.post("/api/v1/research", json=body(name=f"p{i}", hypotheses=TEXTS[:1]),
                       headers=headers).get_json()["data"]["id"] for i in range(3)]
    page = client.get("/api/v1/research?per_page=2&page=1")
    listed = page.get_json()
    assert [p["id"] for p in listed["data"]] == [ids[2], ids[1]]
    assert listed["meta"]["pagination"] == {"page": 1, "per_page": 2, "total": 3, "pages": 2}
    assert 'rel="next"' in page.headers["Link"]
    assert [p["id"] for p in client.get("/api/v1/research?per_page=2&page=2").get_json()["data"]] == [ids[0]]
    assert client.get("/api/v1/research?per_page=1000").status_code == 400
    for project_id in ids:
        wait_until_ended(client, f"/api/v1/research/{project_id}")


def test_the_dashboards_stream_is_not_compressed(dashboard_on):
    """On the whole app (flask-compress and the static cache installed), text/event-stream goes out as is."""
    from helios_dash.crypto import keyring_for
    from helios_dash.research import submit
    from helios_dash.runtime import RUNTIME_KEY

    server = dashboard_on("duckdb").server
    runtime = server.extensions[RUNTIME_KEY]
    # The benchmark validator without evidence fails: no validation row in the shared demo store.
    project_id = new_project(runtime.store, OPERATOR, name="compression", domain="quantum", validator="benchmark",
                             texts=["not compressed"], evidence=None, keyring=keyring_for(runtime.settings))
    submit(runtime, project_id)
    with server.test_client() as viewer:
        streamed = viewer.get(f"/api/v1/research/{project_id}/stream",
                              headers={"Accept-Encoding": "gzip, deflate, br"})
        text = streamed.get_data(as_text=True)
    assert streamed.status_code == 200 and "Content-Encoding" not in streamed.headers
    assert "event: result" in text and "event: end" in text
