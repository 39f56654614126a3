"""A research job survives a server restart and a message delivered twice, on DuckDB and PostgreSQL.

Rows are left as a dead process leaves them (claimed by a run that no longer beats, a result
recorded, the next hypothesis made but not validated; or queued with no job), then a new runtime
and server start over the same database: the projects are resumed, never lost, and nothing is
recorded or validated twice; a project that cannot go on is marked failed with the reason.
Scale-out: a ``helios-dash worker`` process runs the job from the shared Redis queue.
"""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import sqlalchemy as sa
from cryptography.fernet import Fernet

from helios_dash import create_server
from helios_dash.accounts.audit import Context
from helios_dash.accounts.clock import now
from helios_dash.crypto import keyring_for
from helios_dash.hypotheses import create_hypothesis
from helios_dash.research import job, new_project, recover_abandoned, run_project
from helios_dash.runtime import create_runtime
from helios_dash.schema import domains, hypotheses, research_projects, research_results, users, validations
from helios_dash.settings import Settings
from tests.auth import ViewerClient, ensure_user
from tests.conftest import POLL_SECONDS, UNLIMITED

KEY = Fernet.generate_key().decode()
TEXTS = ["Warm-started VQE improves convergence", "Sparse attention halves memory", "Lazy rollups stay exact"]
DEAD_RUN = "run-of-a-dead-process"
DEADLINE = 60  # seconds: a bound on waiting, never a claim about speed


def settings_for(url: str) -> Settings:
    return Settings(database_url=url, demo_data=False, encryption_keys=(KEY,), poll_seconds=POLL_SECONDS,
                    **UNLIMITED)


def editor_of(store):
    return ensure_user(store, "editor").as_principal(via="session")


def prepare(store) -> None:
    with store.write() as conn:
        conn.execute(domains.insert().values(id="quantum", name="Quantum"))


def left_mid_run(runtime) -> tuple[str, dict, str]:
    """A project a process died in: result 1 recorded, hypothesis 2 made (pending), heartbeat 10 minutes old."""
    store, keyring, by = runtime.store, keyring_for(runtime.settings), editor_of(runtime.store)
    project_id = new_project(store, by, name="died", domain="quantum", validator="demo", texts=TEXTS,
                             evidence=None, keyring=keyring)
    assert job.try_claim(store, project_id, DEAD_RUN)
    first = job.validate_one(store, by, job.project_row(store, project_id), 1, TEXTS[0], None, keyring, Context(),
                             DEAD_RUN)
    assert job.record_result(store, project_id, DEAD_RUN, 1, first)
    pending = create_hypothesis(store, by, TEXTS[1], "quantum", keyring=keyring)["id"]
    assert job.set_pending(store, project_id, DEAD_RUN, pending)
    age(store, project_id, heartbeat_at=now() - timedelta(minutes=10))
    return project_id, first, pending


def left_queued(runtime) -> str:
    """A project whose process died before its job was queued (or whose queue lost it), 10 minutes ago."""
    project_id = new_project(runtime.store, editor_of(runtime.store), name="never queued", domain="quantum",
                             validator="demo", texts=TEXTS[:2], evidence=None, keyring=keyring_for(runtime.settings))
    age(runtime.store, project_id, created_at=now() - timedelta(minutes=10))
    return project_id


def age(store, project_id: str, **values) -> None:
    with store.records() as conn:
        conn.execute(research_projects.update().where(research_projects.c.id == project_id).values(**values))


def restarted_client(url: str):
    """A new runtime and server over ``url``, and a viewer's client (its first request resumes projects)."""
    runtime = create_runtime(settings_for(url))
    server = create_server(runtime=runtime)
    server.config.update(TESTING=True)
    server.test_client_class = ViewerClient
    return runtime, server.test_client()


def wait_until_ended(client, project_id: str) -> dict:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        data = client.get(f"/api/v1/research/{project_id}").get_json()["data"]
        if data["status"] in ("completed", "failed"):
            return data
        time.sleep(0.05)
    raise AssertionError(f"research {project_id} did not end within {DEADLINE} s")


def count(store, table, *where) -> int:
    return int(store.scalar(sa.select(sa.func.count()).select_from(table).where(*where)))


def test_after_a_restart_projects_resume_where_they_stopped(store_url):
    before = create_runtime(settings_for(store_url))
    try:
        prepare(before.store)
        mid_run, first, pending = left_mid_run(before)
        queued = left_queued(before)
    finally:
        before.close()  # the process is gone

    runtime, client = restarted_client(store_url)
    try:
        done = wait_until_ended(client, mid_run)
        assert done["status"] == "completed" and done["progress"]["done"] == 3
        assert [r["index"] for r in done["results"]] == [1, 2, 3]
        # Kept, not redone: the dead run's result; reused, not made again: the hypothesis it had made.
        assert (done["results"][0]["hypothesis_id"], done["results"][0]["validation"]) == (
            first["hypothesis_id"], first["validation"])
        assert done["results"][1]["hypothesis_id"] == pending
        ids = [r["hypothesis_id"] for r in done["results"]]
        assert count(runtime.store, hypotheses, hypotheses.c.id.in_(ids)) == 3
        assert count(runtime.store, validations, validations.c.hypothesis_id.in_(ids)) == 3
        never_queued = wait_until_ended(client, queued)
        assert never_queued["status"] == "completed" and [r["status"] for r in never_queued["results"]] == [
            "validated", "validated"]
        # Three projects' worth of hypotheses, each once: 3 + 2.
        assert count(runtime.store, hypotheses) == 5 and count(runtime.store, validations) == 5
    finally:
        runtime.close()


def test_a_project_that_cannot_go_on_is_marked_failed_with_the_reason(store_url):
    before = create_runtime(settings_for(store_url))
    try:
        prepare(before.store)
        project_id, _, _ = left_mid_run(before)
        with before.store.records() as conn:  # while it was down, the requester's account was disabled
            conn.execute(users.update().where(users.c.email == "editor@test.helios").values(active=False))
    finally:
        before.close()

    runtime, client = restarted_client(store_url)
    try:
        done = wait_until_ended(client, project_id)
        assert done["status"] == "failed" and "disabled" in done["error"]
        assert [r["index"] for r in done["results"]] == [1]  # what was recorded is kept
    finally:
        runtime.close()


def test_a_live_claim_is_left_alone_on_postgresql_and_released_on_duckdb(runtime):
    """PostgreSQL is shared by many processes: a fresh heartbeat is a live run elsewhere. A DuckDB file has one
    process, so whatever it finds claimed at start was claimed by a process that is gone."""
    from dataclasses import replace

    runtime.settings = replace(runtime.settings, encryption_keys=(KEY,))
    prepare(runtime.store)
    project_id = new_project(runtime.store, editor_of(runtime.store), name="live", domain="quantum",
                             validator="demo", texts=TEXTS[:1], evidence=None, keyring=keyring_for(runtime.settings))
    assert job.try_claim(runtime.store, project_id, "a-live-run")
    resumed = recover_abandoned(runtime)
    if runtime.store.is_duckdb:
        assert resumed == [project_id]
    else:
        assert resumed == [] and job.project_row(runtime.store, project_id)["claimed_by"] == "a-live-run"


def test_a_message_delivered_twice_records_each_result_once(runtime, monkeypatch):
    """Two runs of one project at once (a re-delivered message), then one more after it ended."""
    from dataclasses import replace

    monkeypatch.setattr(job, "CLAIM_POLL_SECONDS", 0.05)
    runtime.settings = replace(runtime.settings, encryption_keys=(KEY,))
    prepare(runtime.store)
    project_id = new_project(runtime.store, editor_of(runtime.store), name="twice", domain="quantum",
                             validator="demo", texts=TEXTS, evidence=None, keyring=keyring_for(runtime.settings))
    outcomes = []
    runs = [threading.Thread(target=lambda: outcomes.append(run_project(runtime, project_id))) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join(DEADLINE)
    assert sorted(outcomes, key=str) == sorted(["completed", None], key=str)  # one ran it, the other stood by
    assert run_project(runtime, project_id) is None  # ended: nothing to do
    results = runtime.store.rows(sa.select(research_results.c.position, research_results.c.hypothesis_id)
                                 .where(research_results.c.project_id == project_id)
                                 .order_by(research_results.c.position))
    assert [r["position"] for r in results] == [1, 2, 3]
    assert count(runtime.store, hypotheses) == 3 and count(runtime.store, validations) == 3


def test_scale_out_a_helios_dash_worker_runs_the_job_from_the_shared_queue(tmp_path):
    """PostgreSQL + Redis: the server only queues; a ``helios-dash worker`` process (its own runtime, from its
    environment) validates the hypotheses; the server reads the progress from the rows."""
    import os
    import subprocess
    from contextlib import ExitStack
    from dataclasses import replace

    from tests.auth import token_for
    from tests.databases import postgres_database
    from tests.deployment import HELIOS_CLI, redis_database
    from tests.servers import ROOT

    with ExitStack() as stack:
        url, redis_url = stack.enter_context(postgres_database()), stack.enter_context(redis_database())
        runtime = create_runtime(replace(settings_for(url), redis_url=redis_url))
        stack.callback(runtime.close)
        prepare(runtime.store)
        server = create_server(runtime=runtime)
        server.config.update(TESTING=True)
        env = {**os.environ, "HELIOS_DATABASE_URL": url, "HELIOS_REDIS_URL": redis_url, "HELIOS_DEMO_DATA": "0",
               "HELIOS_ENCRYPTION_KEYS": KEY, "HELIOS_SECRET_KEY": "research-worker-test"}
        log = open(tmp_path / "worker.log", "w")
        stack.callback(log.close)
        worker = subprocess.Popen([*HELIOS_CLI, "worker"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

        def stop_worker():
            worker.terminate()
            worker.wait(DEADLINE)

        stack.callback(stop_worker)
        client = server.test_client()
        headers = {"Authorization": f"Bearer {token_for(runtime.store, 'editor', ('read', 'write'))}"}
        response = client.post("/api/v1/research", json={"name": "scale-out", "domain": "quantum",
                                                          "hypotheses": TEXTS[:2], "validator": "demo"},
                               headers=headers)
        assert response.status_code == 202, response.get_json()
        deadline, data = time.monotonic() + DEADLINE, None
        while time.monotonic() < deadline:
            data = client.get(response.headers["Location"], headers=headers).get_json()["data"]
            if data["status"] in ("completed", "failed"):
                break
            time.sleep(0.1)
        assert data["status"] == "completed", (data, (tmp_path / "worker.log").read_text()[-2000:])
        assert [r["status"] for r in data["results"]] == ["validated", "validated"]
        assert count(runtime.store, validations) == 2


def test_an_unexpected_error_fails_the_project_with_the_reason(runtime, monkeypatch):
    """A bug is not retried for ever: the project says what stopped it (a database error is retried instead)."""
    from dataclasses import replace

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in a validator's wrapper")

    monkeypatch.setattr(job, "validate_hypothesis", broken)
    runtime.settings = replace(runtime.settings, encryption_keys=(KEY,))
    prepare(runtime.store)
    project_id = new_project(runtime.store, editor_of(runtime.store), name="bug", domain="quantum",
                             validator="demo", texts=TEXTS[:1], evidence=None, keyring=keyring_for(runtime.settings))
    assert run_project(runtime, project_id) == "failed"
    row = job.project_row(runtime.store, project_id)
    assert row["status"] == "failed" and "RuntimeError: a bug" in row["error"] and row["claimed_by"] is None


def test_the_heartbeat_renews_a_claim_and_notices_when_it_is_taken(runtime, monkeypatch):
    """While a run works its claim's heartbeat moves on; once another run holds the claim, ``lost`` says so."""
    from dataclasses import replace

    monkeypatch.setattr(job, "HEARTBEAT_SECONDS", 0.05)
    runtime.settings = replace(runtime.settings, encryption_keys=(KEY,))
    prepare(runtime.store)
    project_id = new_project(runtime.store, editor_of(runtime.store), name="beating", domain="quantum",
                             validator="demo", texts=TEXTS[:1], evidence=None, keyring=keyring_for(runtime.settings))
    assert job.try_claim(runtime.store, project_id, "this-run")
    long_ago = now() - timedelta(minutes=10)
    age(runtime.store, project_id, heartbeat_at=long_ago)

    def heartbeat_at():
        return job.as_utc(job.project_row(runtime.store, project_id)["heartbeat_at"])

    with job.Heartbeat(runtime.store, project_id, "this-run") as heartbeat:
        deadline = time.monotonic() + DEADLINE
        while heartbeat_at() <= long_ago and time.monotonic() < deadline:
            time.sleep(0.05)
        assert heartbeat_at() > long_ago and not heartbeat.lost
        age(runtime.store, project_id, claimed_by="another-run")
        while not heartbeat.lost and time.monotonic() < deadline:
            time.sleep(0.05)
        assert heartbeat.lost
