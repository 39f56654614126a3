"""The job runner: in-process threads, and the shared Redis queue drained by run_worker."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import redis

from helios_dash.errors import BadRequest
from helios_dash.jobs.runner import (InProcessJobs, JobQueueUnavailable, RedisJobs, UnknownJob, make_jobs,
                                     register, run_worker)
from tests.redis_helpers import REDIS_URL, closed_port_url, delete_keys, unique_prefix, wait_until

REPO = Path(__file__).resolve().parent.parent
OUTBOX: dict[str, list] = {}  # what the test jobs did, by a key each test chooses
RELEASE = threading.Event()


@register("test.append")
def append_job(box: str, value):
    """Record ``value`` in the box."""
    OUTBOX.setdefault(box, []).append(value)


@register("test.fail")
def failing_job(box: str):
    """Record the attempt, then fail."""
    OUTBOX.setdefault(box, []).append("tried")
    raise ValueError(f"cannot do {box}")


@register("test.flaky")
def flaky_job(box: str, failures: int):
    """Fail the first ``failures`` times."""
    tries = OUTBOX.setdefault(box, [])
    tries.append("tried")
    if len(tries) <= failures:
        raise RuntimeError("not yet")


@register("test.gated")
def gated_job(box: str):
    """Wait for the test to let it finish (so 'running' can be seen)."""
    OUTBOX.setdefault(box, []).append("started")
    RELEASE.wait(30)


# In a dead worker, "test.stuck" never finishes; in this process it does.
@register("test.stuck")
def stuck_job(box: str):
    OUTBOX.setdefault(box, []).append("ran here")


DYING_WORKER = """
import sys, threading, time
from pathlib import Path
from helios_dash.jobs.runner import RedisJobs, register, run_worker

@register("test.stuck")
def stuck(box):
    Path(sys.argv[3]).write_text("started")
    time.sleep(3600)

run_worker(RedisJobs(sys.argv[1], queue=sys.argv[2], visibility_timeout=1), threading.Event())
"""


@pytest.fixture
def queue():
    """A queue name of this test's own; its keys are deleted afterwards."""
    name = unique_prefix("jobs")
    yield name
    delete_keys(name)


@pytest.fixture
def worker():
    """Start ``run_worker`` on a thread; stopped, joined and closed after the test."""
    running = []

    def start(jobs):
        stop = threading.Event()
        thread = threading.Thread(target=run_worker, args=(jobs, stop), daemon=True)
        thread.start()
        running.append((stop, thread, jobs))

    yield start
    for stop, _, _ in running:
        stop.set()
    for _, thread, jobs in running:
        thread.join(10)
        assert not thread.is_alive()
        jobs.close()


def box_name() -> str:
    return unique_prefix("box")


# -- refused at submit, on both --------------------------------------------------
@pytest.mark.parametrize("make", [lambda: InProcessJobs(1), lambda: RedisJobs(REDIS_URL, queue="helios-test:unused")])
def test_unknown_names_and_non_json_arguments_are_refused(make):
    jobs = make()
    try:
        with pytest.raises(UnknownJob, match="no job named 'nope'"):
            jobs.submit("nope")
        with pytest.raises(BadRequest, match="JSON-serialisable"):
            jobs.submit("test.append", box="x", value=object())
        with pytest.raises(BadRequest, match="JSON-serialisable"):
            jobs.submit("test.append", box="x", value=float("nan"))
        assert jobs.status("0" * 32) is None and jobs.status("processing") is None
    finally:
        jobs.close()


def test_a_name_cannot_be_taken_twice():
    with pytest.raises(ValueError, match="already taken"):
        register("test.append")(lambda box, value: None)


def test_make_jobs_picks_by_url():
    in_process = make_jobs(None)
    shared = make_jobs(REDIS_URL)
    try:
        assert isinstance(in_process, InProcessJobs) and isinstance(shared, RedisJobs)
        assert shared.queue == "helios:jobs"
    finally:
        in_process.close()
        shared.close()


def test_run_worker_refuses_an_in_process_runner():
    jobs = InProcessJobs(1)
    try:
        with pytest.raises(TypeError):
            run_worker(jobs, threading.Event())
    finally:
        jobs.close()


# -- in-process ------------------------------------------------------------------
def test_in_process_jobs_run_and_report():
    jobs = InProcessJobs(2)
    box, failing, flaky = box_name(), box_name(), box_name()
    try:
        done = jobs.submit("test.append", box=box, value={"n": 1})
        failed = jobs.submit("test.fail", box=failing)
        recovered = jobs.submit("test.flaky", box=flaky, failures=2)
        assert wait_until(lambda: all(jobs.status(job)["status"] in ("done", "failed")
                                      for job in (done, failed, recovered)))
    finally:
        jobs.close()
    assert OUTBOX[box] == [{"n": 1}]
    assert jobs.status(done)["status"] == "done" and jobs.status(done)["attempts"] == 1
    assert jobs.status(failed)["status"] == "failed"
    assert jobs.status(failed)["error"] == f"ValueError: cannot do {failing}"
    assert jobs.status(failed)["attempts"] == 3 and OUTBOX[failing] == ["tried"] * 3
    assert jobs.status(recovered)["status"] == "done" and jobs.status(recovered)["attempts"] == 3


# -- Redis -------------------------------------------------------------------------
def test_a_job_submitted_through_one_instance_is_run_by_a_worker_on_another(queue, worker):
    submitter, runner = RedisJobs(REDIS_URL, queue=queue), RedisJobs(REDIS_URL, queue=queue)
    box = box_name()
    RELEASE.clear()
    try:
        job = submitter.submit("test.gated", box=box)
        queued = submitter.status(job)
        assert queued["status"] == "queued" and queued["attempts"] == 0 and queued["name"] == "test.gated"
        # the message as a worker on any host sees it
        client = redis.Redis.from_url(REDIS_URL)
        (raw,) = client.lrange(queue, 0, -1)
        client.close()
        message = json.loads(raw)
        assert set(message) == {"id", "name", "kwargs", "enqueued_at", "request_id"}
        assert message["id"] == job and message["kwargs"] == {"box": box}

        worker(runner)
        assert wait_until(lambda: submitter.status(job)["status"] == "running")
        assert OUTBOX[box] == ["started"]
        RELEASE.set()
        assert wait_until(lambda: submitter.status(job)["status"] == "done")
        finished = submitter.status(job)
        assert finished["attempts"] == 1 and finished["error"] is None
        assert finished["enqueued_at"] <= finished["started_at"] <= finished["finished_at"]
        client = redis.Redis.from_url(REDIS_URL)
        assert client.llen(f"{queue}:processing") == 0 and client.llen(queue) == 0
        assert 0 < client.ttl(submitter.status_key(job)) <= submitter.status_ttl
        client.close()
    finally:
        RELEASE.set()
        submitter.close()


def test_a_failing_job_is_retried_then_recorded_failed(queue, worker):
    jobs = RedisJobs(REDIS_URL, queue=queue, max_attempts=3)
    failing, flaky = box_name(), box_name()
    try:
        failed = jobs.submit("test.fail", box=failing)
        recovered = jobs.submit("test.flaky", box=flaky, failures=1)
        worker(RedisJobs(REDIS_URL, queue=queue, max_attempts=3))
        assert wait_until(lambda: jobs.status(failed)["status"] == "failed"
                          and jobs.status(recovered)["status"] == "done")
        record = jobs.status(failed)
        assert record["attempts"] == 3 and OUTBOX[failing] == ["tried"] * 3
        assert record["error"] == f"ValueError: cannot do {failing}"
        assert jobs.status(recovered)["attempts"] == 2 and OUTBOX[flaky] == ["tried"] * 2
    finally:
        jobs.close()


def test_a_job_a_worker_does_not_know_is_failed_not_retried(queue, worker):
    jobs = RedisJobs(REDIS_URL, queue=queue)
    try:
        job = jobs.submit("test.append", box=box_name(), value=1)
        client = redis.Redis.from_url(REDIS_URL)  # as if an older worker read a newer message
        raw = client.rpop(queue)
        client.rpush(queue, raw.replace(b"test.append", b"test.renamed"))
        client.close()
        worker(RedisJobs(REDIS_URL, queue=queue))
        assert wait_until(lambda: jobs.status(job)["status"] == "failed")
        assert "no job named 'test.renamed'" in jobs.status(job)["error"]
        assert jobs.status(job)["attempts"] == 1
    finally:
        jobs.close()


def test_a_job_left_in_processing_by_a_killed_worker_is_requeued(queue, worker, tmp_path):
    jobs = RedisJobs(REDIS_URL, queue=queue, visibility_timeout=1)
    box, marker = box_name(), tmp_path / "started"
    dying = subprocess.Popen([sys.executable, "-c", DYING_WORKER, REDIS_URL, queue, str(marker)], cwd=REPO)
    try:
        job = jobs.submit("test.stuck", box=box)
        assert wait_until(marker.exists, seconds=30)
        assert jobs.status(job)["status"] == "running"
        os.kill(dying.pid, signal.SIGKILL)
        dying.wait(10)
        client = redis.Redis.from_url(REDIS_URL)
        assert client.llen(f"{queue}:processing") == 1  # left behind by the dead worker
        client.close()

        worker(RedisJobs(REDIS_URL, queue=queue, visibility_timeout=1))
        assert wait_until(lambda: jobs.status(job)["status"] == "done", seconds=20)
        assert OUTBOX[box] == ["ran here"]
        assert jobs.status(job)["attempts"] == 2  # the dead worker's attempt counts
    finally:
        if dying.poll() is None:
            dying.kill()
        jobs.close()


def test_a_job_that_keeps_killing_its_worker_is_given_up(queue, worker):
    """Its attempts ran out in workers that died: the next take records it failed without running it."""
    jobs = RedisJobs(REDIS_URL, queue=queue, max_attempts=2, visibility_timeout=1)
    box = box_name()
    try:
        job = jobs.submit("test.append", box=box, value=1)
        client = redis.Redis.from_url(REDIS_URL)
        client.hset(jobs.status_key(job), "attempts", 2)  # two workers died running it
        client.close()
        worker(RedisJobs(REDIS_URL, queue=queue, max_attempts=2))
        assert wait_until(lambda: jobs.status(job)["status"] == "failed")
        assert "Gave up after 2 attempts" in jobs.status(job)["error"]
        assert box not in OUTBOX
    finally:
        jobs.close()


def test_redis_down_submit_is_a_clear_error_and_the_worker_keeps_waiting(caplog):
    jobs = RedisJobs(closed_port_url(), queue="helios-test:down")
    stop = threading.Event()
    try:
        with pytest.raises(JobQueueUnavailable, match="job queue is unavailable"):
            jobs.submit("test.append", box="x", value=1)
        with pytest.raises(JobQueueUnavailable):
            jobs.status("0" * 32)
        thread = threading.Thread(target=run_worker, args=(jobs, stop), daemon=True)
        with caplog.at_level("WARNING", logger="helios_dash.jobs.redis_queue"):
            thread.start()
            assert wait_until(lambda: "Redis unavailable" in caplog.text)
            stop.wait(0.5)  # a few more attempts
            assert thread.is_alive()
            stop.set()
            thread.join(10)
        assert not thread.is_alive()
        assert caplog.text.count("Redis unavailable") == 1
    finally:
        stop.set()
        jobs.close()
