"""The shared job queue on Redis, and the worker loop that drains it.

Keys, for ``queue="helios:jobs"``:

- ``helios:jobs`` (list): messages ``{"id","name","kwargs","enqueued_at"}`` waiting;
  ``submit`` LPUSHes, workers take from the right (first in, first out).
- ``helios:jobs:processing`` (list): messages a worker took. BLMOVE moves a
  message there atomically, so a job is never only in a worker's memory.
- ``helios:jobs:leases`` (sorted set): job id -> when its lease ends (Redis
  server time, so hosts' clocks do not matter). A worker renews the lease of the
  job it runs every third of ``visibility_timeout``, from a small thread.
- ``helios:jobs:<id>`` (hash, expires after ``status_ttl``): status, name,
  attempts, error, enqueued_at, started_at, finished_at.

A worker killed with -9 leaves its message in the processing list, and its lease
stops being renewed. Every worker sweeps the processing list when it starts and
every ``visibility_timeout / 2`` seconds after: a message whose lease ended goes
back to the head of the queue (one Lua script, so two sweepers cannot both move
it). A message without a lease (its worker died between BLMOVE and writing the
lease) is given one, and so is requeued one timeout later. A running job is never
taken away from a live worker, however long it runs.

Attempts are counted when a worker takes a job, so a job that crashes its worker
is counted too. A job that raised goes back to the end of the queue until it has
had ``max_attempts``; then it is ``failed`` with its last error, and so is a job
taken once more after its last attempt died with a worker. Delivery is at least
once (a worker can die after the job's effect and before recording it), so jobs
must be idempotent.
"""
from __future__ import annotations

import json
import logging
import threading
import time

from ..redis_support import REDIS_DOWN, OutageLog, fail_fast_client
from .periodic import Periodic
from .registry import JobQueueUnavailable, UnknownJob, describe_error, new_message, run_message

log = logging.getLogger(__name__)

TAKE_BLOCK_SECONDS = 1.0  # how long a worker waits for a job before looking at its stop flag
FIRST_BACKOFF_SECONDS, MAX_BACKOFF_SECONDS = 0.1, 5.0

_LEASE = """
local now = redis.call('TIME')
redis.call('ZADD', KEYS[1], now[1] + now[2] / 1e6 + tonumber(ARGV[2]), ARGV[1])
"""

_REQUEUE_EXPIRED = """
local now = redis.call('TIME')
now = now[1] + now[2] / 1e6
local requeued = 0
for _, raw in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  local ok, message = pcall(cjson.decode, raw)
  if not ok or type(message) ~= 'table' or message['id'] == nil then
    redis.call('LREM', KEYS[1], 1, raw)
  else
    local lease = redis.call('ZSCORE', KEYS[2], message['id'])
    if not lease then
      redis.call('ZADD', KEYS[2], now + tonumber(ARGV[1]), message['id'])
    elseif tonumber(lease) < now then
      redis.call('LREM', KEYS[1], 1, raw)
      redis.call('RPUSH', KEYS[3], raw)
      redis.call('ZREM', KEYS[2], message['id'])
      requeued = requeued + 1
    end
  end
end
return requeued
"""


class RedisJobs:
    """Submits jobs to a Redis list that ``run_worker`` processes drain, on any host."""

    def __init__(self, url: str, queue: str = "helios:jobs", *, max_attempts: int = 3,
                 visibility_timeout: float = 60.0, status_ttl: int = 7 * 24 * 3600, timeout: float = 2.0):
        if max_attempts < 1 or visibility_timeout <= 0:
            raise ValueError("max_attempts must be at least 1 and visibility_timeout positive.")
        self.queue, self.processing, self.leases = queue, f"{queue}:processing", f"{queue}:leases"
        self.max_attempts, self.visibility_timeout, self.status_ttl = max_attempts, visibility_timeout, status_ttl
        # BLMOVE blocks for TAKE_BLOCK_SECONDS: the socket must wait longer than that.
        self._client = fail_fast_client(url, timeout + TAKE_BLOCK_SECONDS)
        self._lease = self._client.register_script(_LEASE)
        self._requeue_expired = self._client.register_script(_REQUEUE_EXPIRED)

    def submit(self, name: str, **kwargs) -> str:
        """Queue job ``name`` with ``kwargs``; returns its id (``JobQueueUnavailable`` if Redis is down)."""
        message = new_message(name, kwargs)
        record = {"id": message["id"], "name": name, "status": "queued", "attempts": 0,
                  "error": "", "enqueued_at": message["enqueued_at"]}
        try:
            with self._client.pipeline(transaction=True) as pipe:
                pipe.hset(self.status_key(message["id"]), mapping=record)
                pipe.expire(self.status_key(message["id"]), self.status_ttl)
                pipe.lpush(self.queue, json.dumps(message))
                pipe.execute()
        except REDIS_DOWN as error:
            raise JobQueueUnavailable(f"The job queue is unavailable ({describe_error(error)}).") from error
        return message["id"]

    def status(self, job_id: str) -> dict | None:
        """``{"id","name","status","error","attempts",...}``, or None for an unknown or expired id."""
        if not (isinstance(job_id, str) and len(job_id) == 32 and all(c in "0123456789abcdef" for c in job_id)):
            return None  # not one of our ids (and never one of the queue's own keys)
        try:
            raw = self._client.hgetall(self.status_key(job_id))
        except REDIS_DOWN as error:
            raise JobQueueUnavailable(f"The job queue is unavailable ({describe_error(error)}).") from error
        return _decode_record(raw) if raw else None

    def status_key(self, job_id: str) -> str:
        """Where job ``job_id``'s status is kept."""
        return f"{self.queue}:{job_id}"

    def requeue_abandoned(self) -> int:
        """Put back in the queue the jobs whose worker stopped renewing their lease; returns how many."""
        return int(self._requeue_expired(keys=[self.processing, self.leases, self.queue],
                                         args=[self.visibility_timeout]))

    def close(self) -> None:
        """Release the connections."""
        self._client.close()

    # -- the worker's side -------------------------------------------------------
    def take(self) -> bytes | None:
        """Move the oldest waiting message into the processing list (None after a short wait)."""
        raw = self._client.blmove(self.queue, self.processing, TAKE_BLOCK_SECONDS, "RIGHT", "LEFT")
        if raw is not None:
            self.renew_lease(_job_id(raw))
        return raw

    def renew_lease(self, job_id: str | None) -> None:
        """Extend ``job_id``'s lease by one visibility timeout."""
        if job_id is not None:
            self._lease(keys=[self.leases], args=[job_id, self.visibility_timeout])

    def record(self, job_id: str, **fields) -> None:
        """Update a job's status hash and its expiry."""
        with self._client.pipeline(transaction=True) as pipe:
            pipe.hset(self.status_key(job_id), mapping={k: ("" if v is None else v) for k, v in fields.items()})
            pipe.expire(self.status_key(job_id), self.status_ttl)
            pipe.execute()

    def finish(self, raw: bytes, job_id: str | None, again: bool = False, **fields) -> None:
        """Record ``fields``, drop the message from processing, and queue it again if ``again``."""
        with self._client.pipeline(transaction=True) as pipe:
            if job_id is not None:
                pipe.hset(self.status_key(job_id), mapping={k: ("" if v is None else v) for k, v in fields.items()})
                pipe.expire(self.status_key(job_id), self.status_ttl)
                pipe.zrem(self.leases, job_id)
            pipe.lrem(self.processing, 1, raw)
            if again:
                pipe.lpush(self.queue, raw)  # the end of the line: other jobs go first
            pipe.execute()

    def count_attempt(self, job_id: str) -> int:
        """Add one to the job's attempts; returns the new count."""
        return int(self._client.hincrby(self.status_key(job_id), "attempts", 1))


def run_worker(jobs: RedisJobs, stop_event: threading.Event) -> int:
    """Run queued jobs one at a time until ``stop_event`` is set; returns how many were handled.

    Survives Redis going away (backs off, logs once per outage). The stop flag is
    seen within about a second, after the running job, if any, finished.
    """
    if not isinstance(jobs, RedisJobs):
        raise TypeError(f"run_worker drains a RedisJobs queue; {type(jobs).__name__} runs its own jobs.")
    outage = OutageLog(log, f"Job worker on {jobs.queue}")
    backoff, next_sweep, handled = FIRST_BACKOFF_SECONDS, 0.0, 0
    while not stop_event.is_set():
        try:
            if time.monotonic() >= next_sweep:
                requeued = jobs.requeue_abandoned()
                if requeued:
                    log.warning("Job worker: %d job(s) of a stopped worker queued again", requeued)
                next_sweep = time.monotonic() + jobs.visibility_timeout / 2
            raw = jobs.take()
            outage.recovered()
            backoff = FIRST_BACKOFF_SECONDS
            if raw is not None:
                _handle(jobs, raw)
                handled += 1
        except REDIS_DOWN as error:
            outage.failed(error)
            stop_event.wait(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
    return handled


def _handle(jobs: RedisJobs, raw: bytes) -> None:
    """Run one taken message and record the outcome."""
    try:
        message = json.loads(raw)
        job_id, name = message["id"], message["name"]
    except (ValueError, TypeError, KeyError):
        log.error("Job worker: dropped a malformed message: %.200r", raw)
        jobs.finish(raw, None)
        return
    attempts = jobs.count_attempt(job_id)
    if attempts > jobs.max_attempts:  # its last attempt stopped with its worker
        jobs.finish(raw, job_id, status="failed", finished_at=time.time(),
                    error=f"Gave up after {jobs.max_attempts} attempts; the last one stopped with its worker.")
        return
    jobs.record(job_id, status="running", name=name, started_at=time.time())
    try:
        with _lease_renewal(jobs, job_id):
            run_message(message)
    except UnknownJob as error:  # another worker may run newer code, but this message cannot wait forever
        jobs.finish(raw, job_id, status="failed", error=describe_error(error), finished_at=time.time())
    except Exception as error:
        log.warning("Job %s (%s) failed, attempt %d of %d: %s", job_id, name, attempts, jobs.max_attempts,
                    describe_error(error))
        again = attempts < jobs.max_attempts
        jobs.finish(raw, job_id, again=again, status="queued" if again else "failed",
                    error=describe_error(error), finished_at=None if again else time.time())
    else:
        jobs.finish(raw, job_id, status="done", error="", finished_at=time.time())


def _lease_renewal(jobs: RedisJobs, job_id: str) -> Periodic:
    """While a job runs, a daemon thread renews its lease every third of the visibility timeout."""
    def renew() -> None:
        try:
            jobs.renew_lease(job_id)
        except REDIS_DOWN:
            pass  # the job goes on; if Redis stays away, the lease may lapse and the job run again

    return Periodic(renew, jobs.visibility_timeout / 3, f"helios-lease-{job_id[:8]}")


def _job_id(raw: bytes) -> str | None:
    try:
        return json.loads(raw)["id"]
    except (ValueError, TypeError, KeyError):
        return None


def _decode_record(raw: dict) -> dict:
    record = {key.decode(): value.decode() for key, value in raw.items()}
    record["attempts"] = int(record.get("attempts") or 0)
    for key in ("enqueued_at", "started_at", "finished_at"):
        record[key] = float(record[key]) if record.get(key) else None
    record["error"] = record.get("error") or None
    return record
