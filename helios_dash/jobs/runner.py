"""Background jobs behind one interface: threads in this process, or a shared Redis queue.

``make_jobs(redis_url)`` picks one; both have ``submit(name, **kwargs) -> job_id``,
``status(job_id) -> dict | None`` and ``close()``. A status is
``{"id", "name", "status", "error", "attempts", "enqueued_at", "started_at",
"finished_at"}`` with ``status`` one of queued, running, done, failed.

- ``InProcessJobs`` (embedded: DuckDB admits one writer process, so jobs run on
  a small thread pool inside the web process). Statuses live in memory and are
  forgotten ``keep_seconds`` after the job finished; a job that raised is run
  again at once, up to ``max_attempts``.
- ``RedisJobs`` (scale-out): ``submit`` only queues; ``helios-dash worker`` runs
  ``run_worker`` (see ``redis_queue.py`` for the keys, leases and retries).

Jobs are registered by name with ``@register("name")`` (``registry.py``); an
unknown name or arguments JSON cannot carry are refused at ``submit``.
"""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from .redis_queue import RedisJobs, run_worker
from .registry import JobQueueUnavailable, UnknownJob, describe_error, new_message, register, run_message

__all__ = ["InProcessJobs", "JobQueueUnavailable", "RedisJobs", "UnknownJob", "make_jobs", "register",
           "run_worker"]

log = logging.getLogger(__name__)


class InProcessJobs:
    """Runs submitted jobs on ``threads`` threads of this process."""

    def __init__(self, threads: int = 2, *, max_attempts: int = 3, keep_seconds: float = 24 * 3600):
        if threads < 1 or max_attempts < 1:
            raise ValueError("threads and max_attempts must be at least 1.")
        self.max_attempts, self._keep_seconds = max_attempts, keep_seconds
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="helios-job")
        self._lock = threading.Lock()
        self._records: dict[str, dict] = {}

    def submit(self, name: str, **kwargs) -> str:
        """Run job ``name`` with ``kwargs`` on a pool thread; returns its id."""
        message = new_message(name, kwargs)
        with self._lock:
            self._forget_old()
            self._records[message["id"]] = {
                "id": message["id"], "name": name, "status": "queued", "error": None, "attempts": 0,
                "enqueued_at": message["enqueued_at"], "started_at": None, "finished_at": None}
        self._pool.submit(self._run, message)
        return message["id"]

    def status(self, job_id: str) -> dict | None:
        """The job's status (a copy), or None for an unknown or forgotten id."""
        with self._lock:
            record = self._records.get(job_id)
            return dict(record) if record else None

    def close(self, wait: bool = True) -> None:
        """Stop taking jobs; with ``wait``, let the submitted ones finish."""
        self._pool.shutdown(wait=wait, cancel_futures=not wait)

    def _run(self, message: dict) -> None:
        for attempt in range(1, self.max_attempts + 1):
            self._update(message["id"], status="running", attempts=attempt, started_at=time.time())
            try:
                run_message(message)
            except Exception as error:
                log.warning("Job %s (%s) failed, attempt %d of %d: %s", message["id"], message["name"],
                            attempt, self.max_attempts, describe_error(error))
                self._update(message["id"], error=describe_error(error))
            else:
                self._update(message["id"], status="done", error=None, finished_at=time.time())
                return
        self._update(message["id"], status="failed", finished_at=time.time())

    def _update(self, job_id: str, **fields) -> None:
        with self._lock:
            self._records[job_id].update(fields)

    def _forget_old(self) -> None:
        horizon = time.time() - self._keep_seconds
        for job_id in [key for key, record in self._records.items()
                       if record["finished_at"] is not None and record["finished_at"] < horizon]:
            del self._records[job_id]


def make_jobs(redis_url: str | None, threads: int = 2):
    """``RedisJobs`` when ``redis_url`` is set, else ``InProcessJobs(threads)``."""
    return RedisJobs(redis_url) if redis_url else InProcessJobs(threads)
