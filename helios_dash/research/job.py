"""The research job: validate a project's hypotheses one by one, recording each result as it lands.

Why the project's own job runner and not huey: ``jobs/runner.py`` already runs the same
registered job on threads of the web process (embedded: DuckDB admits one writer process) and
on a shared Redis queue drained by ``helios-dash worker`` (scale-out), with leases, retries and
tests of a worker killed mid-job; huey would add a second queue, a second worker command and
its own storage to configure beside it. And what must survive a restart is the project, not
the message: status, progress and results are rows (``research_projects``/``research_results``),
so recovery reads rows and asks the runner again (``recover_abandoned``), whatever the queue kept.

Exactly one run works on a project at a time: a run *claims* it (``claimed_by``) and a daemon
thread renews ``heartbeat_at`` every HEARTBEAT_SECONDS; a claim whose heartbeat is older than
CLAIM_STALE_SECONDS belongs to a dead process and may be taken over. The queue delivers at least
once, so a run skips the positions already recorded, reuses a hypothesis it made but had not yet
recorded (``pending_hypothesis_id``), and records a result only while it still holds the claim;
``(project_id, position)`` is the results' key, so nothing is ever recorded twice. A database
error releases the claim and lets the runner retry; any other error fails the project with the reason.
"""
from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import uuid
import weakref
from dataclasses import replace
from datetime import timedelta

import sqlalchemy as sa

from ..accounts.clock import as_utc, now
from ..accounts.users import get_user
from ..crypto import keyring_for
from ..errors import HeliosError, QueryTimeout, StoreError
from ..hypotheses.service import create_hypothesis, validate_hypothesis
from ..jobs.periodic import Periodic
from ..jobs.registry import describe_error, register
from ..schema import hypotheses, research_projects, research_results, validations
from ..validators import plugin_manager
from ..webhooks.events import research_completed
from .service import ACTIVE, context_from_json, principal_from_json, project_row, texts_of

log = logging.getLogger(__name__)

JOB_NAME = "research"
EVENT_COMPLETED = "research.completed"  # on the runtime's bus when a project ends (completed or failed)
EVENT_PROGRESS = "research.progress"  # on the runtime's bus after each recorded result (sockets show it)
HEARTBEAT_SECONDS = 10.0
CLAIM_STALE_SECONDS = 60.0  # six missed heartbeats: the claiming process is gone
CLAIM_POLL_SECONDS = 1.0

# The runtimes of this process by store key: a job message names its store by key (a hash of the
# database URL, never the URL, which may hold a password) and finds the runtime here.
_runtimes: "weakref.WeakValueDictionary[str, object]" = weakref.WeakValueDictionary()
_opened: dict[str, object] = {}  # runtimes a worker opened itself from its environment (kept alive)
_opening = threading.Lock()


def store_key(database_url: str) -> str:
    return hashlib.sha256(database_url.encode()).hexdigest()[:24]


def attach(runtime) -> str:
    """Let jobs of ``runtime``'s store run on ``runtime``; returns the store key."""
    key = store_key(runtime.settings.database_url)
    _runtimes[key] = runtime
    return key


def runtime_for(key: str):
    """The runtime of the store ``key`` names: an attached one, or (a worker) one opened from the environment."""
    found = _runtimes.get(key)
    if found is not None:
        return found
    from ..runtime import create_runtime
    from ..settings import Settings

    with _opening:
        if key not in _opened:
            settings = Settings.from_env()
            if store_key(settings.database_url) != key:
                raise LookupError("This process's HELIOS_DATABASE_URL is not the store the research job names.")
            _opened[key] = create_runtime(settings)
        return _opened[key]


def submit(runtime, project_id: str) -> str:
    """Ask the runtime's job runner to run (or resume) the project; returns the runner's job id."""
    return runtime.jobs.submit(JOB_NAME, project_id=project_id, store=attach(runtime))


@register(JOB_NAME)
def research_job(project_id: str, store: str) -> None:
    """The registered job: run the project on the runtime of ``store``."""
    run_project(runtime_for(store), project_id)


def run_project(runtime, project_id: str) -> str | None:
    """Claim the project and validate its remaining hypotheses; returns its final status (None: not ours)."""
    store, run = runtime.store, uuid.uuid4().hex
    if not wait_for_claim(store, project_id, run):
        return None
    heartbeat = Heartbeat(store, project_id, run)
    try:
        with heartbeat:
            status = work_through(runtime, project_id, run, heartbeat)
    except (sa.exc.DBAPIError, StoreError, QueryTimeout):
        release(store, project_id, run)  # the database hiccuped: the runner tries again, and may claim at once
        raise
    except Exception as error:  # a bug will not go away on a retry: say so on the project
        log.exception("Research %s stopped by an unexpected error", project_id)
        status = finish(store, project_id, run, "failed", f"Stopped by an unexpected error: {describe_error(error)}")
    if status in ("completed", "failed"):
        row = project_row(store, project_id)
        runtime.bus.publish(EVENT_COMPLETED, {"id": project_id, "status": status, "done": row["done"],
                                              "total": row["total"]})
    return status


def work_through(runtime, project_id: str, run: str, heartbeat: "Heartbeat") -> str | None:
    """The loop of one claimed run: every position not yet recorded, in order, then the end."""
    store, settings = runtime.store, runtime.settings
    row = project_row(store, project_id)
    keyring = keyring_for(settings)
    try:
        texts = texts_of(row, keyring)
        by = acting_principal(store, row)
    except HeliosError as error:
        return finish(store, project_id, run, "failed", error.message)
    context = context_from_json(row["context"])
    evidence = json.loads(row["evidence"]) if row["evidence"] else None
    recorded = {r["position"] for r in store.rows(sa.select(research_results.c.position).where(
        research_results.c.project_id == project_id))}
    for position, text in enumerate(texts, start=1):
        if position in recorded:
            continue  # delivered again: this one is done
        if heartbeat.lost:
            return None  # another run took the project over
        result = validate_one(store, by, row, position, text, evidence, keyring, context, run)
        if result is None or not record_result(store, project_id, run, position, result):
            return None
        row = project_row(store, project_id)  # pending_hypothesis_id was cleared
        runtime.bus.publish(EVENT_PROGRESS, {"id": project_id, "status": "running", "done": row["done"],
                                             "total": row["total"]})
    return finish(store, project_id, run, "completed", None)


def acting_principal(store, row: dict):
    """The requester, as they are now: a disabled account or a lost editor role ends the project."""
    by = principal_from_json(row["requester"])
    if by.user_id is not None:
        user = get_user(store, by.user_id)
        if not user.active:
            raise HeliosError("The requester's account was disabled before the project finished.")
        by = replace(by, role=user.role)
    if not by.has_role("editor"):
        raise HeliosError("The requester no longer holds the editor role.")
    return by


def validate_one(store, by, row: dict, position: int, text: str, evidence, keyring, context, run: str) -> dict | None:
    """Create (or reuse the pending) hypothesis and validate it; the result row's fields (None: claim lost)."""
    hypothesis_id = None
    try:
        hypothesis_id = reusable_hypothesis(store, row)
        if hypothesis_id is None:
            made = create_hypothesis(store, by, text, row["domain_id"], keyring=keyring, context=context)
            hypothesis_id = made["id"]
            if not set_pending(store, row["id"], run, hypothesis_id):
                return None
        else:
            recovered = recovered_result(store, hypothesis_id, row["validator"])
            if recovered is not None:
                return recovered
        done = validate_hypothesis(store, by, hypothesis_id, row["validator"], evidence, keyring=keyring,
                                   context=context)
    except HeliosError as error:  # a refusal for this hypothesis (a conflict, a key gone): its result says why
        return {"hypothesis_id": hypothesis_id, "status": "failed", "validation": None,
                "error": error.message}
    validated = done["status"] == "validated"
    return {"hypothesis_id": hypothesis_id, "status": "validated" if validated else "failed",
            "validation": done.get("result"), "error": None if validated else done.get("failure_reason")}


def reusable_hypothesis(store, row: dict) -> str | None:
    """The hypothesis a dead run made for this position (``pending_hypothesis_id``), if it exists."""
    pending = row["pending_hypothesis_id"]
    if pending is None:
        return None
    return store.scalar(sa.select(hypotheses.c.id).where(hypotheses.c.id == pending))


def recovered_result(store, hypothesis_id: str, validator: str) -> dict | None:
    """When the dead run's validation landed but its result did not: the result from the validation row."""
    status = store.scalar(sa.select(hypotheses.c.status).where(hypotheses.c.id == hypothesis_id))
    if status != "validated":
        return None
    v = validations
    last = store.rows(sa.select(v.c.validator, v.c.quality, v.c.confidence, v.c.speedup, v.c.tests)
                      .where(v.c.hypothesis_id == hypothesis_id).order_by(v.c.id.desc()).limit(1))[0]
    plugin = plugin_manager().get(last["validator"])
    simulated = bool(plugin and plugin.plugin and plugin.plugin.simulated)
    # The plugin's details were in the lost answer only (the audit log keeps them).
    return {"hypothesis_id": hypothesis_id, "status": "validated", "error": None,
            "validation": {**last, "tests": int(last["tests"]), "details": None, "simulated": simulated}}


# -- the project's row: claim, heartbeat, results, end ----------------------------------------------
def try_claim(store, project_id: str, run: str) -> bool:
    """Take the project for ``run`` if it is active and unclaimed, or its claim went stale."""
    p, moment = research_projects, now()
    stale = moment - timedelta(seconds=CLAIM_STALE_SECONDS)
    with store.records() as conn:
        taken = conn.execute(p.update().where(
            p.c.id == project_id, p.c.status.in_(ACTIVE),
            sa.or_(p.c.claimed_by.is_(None), p.c.heartbeat_at.is_(None), p.c.heartbeat_at < stale),
        ).values(status="running", claimed_by=run, heartbeat_at=moment,
                 started_at=sa.func.coalesce(p.c.started_at, moment)).returning(p.c.id)).first()
    return taken is not None


def wait_for_claim(store, project_id: str, run: str) -> bool:
    """Claim the project, waiting while another live run holds it; False when it ended or stays held."""
    deadline = time.monotonic() + CLAIM_STALE_SECONDS + 2 * HEARTBEAT_SECONDS
    while True:
        if try_claim(store, project_id, run):
            return True
        row = project_row(store, project_id)
        if row is None or row["status"] not in ACTIVE or time.monotonic() > deadline:
            return False
        time.sleep(CLAIM_POLL_SECONDS)


def set_pending(store, project_id: str, run: str, hypothesis_id: str) -> bool:
    p = research_projects
    with store.records() as conn:
        return conn.execute(p.update().where(p.c.id == project_id, p.c.claimed_by == run).values(
            pending_hypothesis_id=hypothesis_id, heartbeat_at=now()).returning(p.c.id)).first() is not None


def record_result(store, project_id: str, run: str, position: int, result: dict) -> bool:
    """Insert one result and move the progress, if ``run`` still holds the project (else False)."""
    p = research_projects
    with store.records() as conn:
        held = conn.execute(p.update().where(p.c.id == project_id, p.c.claimed_by == run).values(
            done=position, pending_hypothesis_id=None, heartbeat_at=now()).returning(p.c.id)).first()
        if held is None:
            return False
        conn.execute(research_results.insert().values(
            project_id=project_id, position=position, hypothesis_id=result["hypothesis_id"],
            status=result["status"], error=result["error"], created_at=now(),
            validation=None if result["validation"] is None else json.dumps(result["validation"], default=str)))
    return True


def finish(store, project_id: str, run: str, status: str, error: str | None) -> str | None:
    """End the project (completed or failed with ``error``) if ``run`` holds it."""
    p = research_projects
    with store.records() as conn:
        ended = conn.execute(p.update().where(p.c.id == project_id, p.c.claimed_by == run).values(
            status=status, error=error, finished_at=now(), claimed_by=None, pending_hypothesis_id=None,
        ).returning(p.c.id, p.c.done, p.c.total)).first()
        if ended is not None:  # webhooks' outbox, in the transaction that ends the project
            research_completed(conn, project_id, status, ended.done, ended.total, error)
    return status if ended is not None else None


def fail_project(store, project_id: str, reason: str) -> None:
    """Mark an active project failed with ``reason`` (whoever held it)."""
    p = research_projects
    with store.records() as conn:
        conn.execute(p.update().where(p.c.id == project_id, p.c.status.in_(ACTIVE)).values(
            status="failed", error=reason, finished_at=now(), claimed_by=None))


def release(store, project_id: str, run: str) -> None:
    """Give the claim back (the run stopped on an unexpected error: a retry may take it at once)."""
    p = research_projects
    try:
        with store.records() as conn:
            conn.execute(p.update().where(p.c.id == project_id, p.c.claimed_by == run).values(claimed_by=None))
    except Exception:  # the store itself is failing: the claim goes stale instead
        log.warning("Research %s: could not release the claim of run %s", project_id, run, exc_info=True)


class Heartbeat(Periodic):
    """While a run works, a daemon thread renews its claim; ``lost`` once another run took it."""

    def __init__(self, store, project_id: str, run: str):
        self._store, self._project_id, self._run_id = store, project_id, run
        self.lost = False
        super().__init__(self._renew_claim, HEARTBEAT_SECONDS, f"helios-research-{run[:8]}")

    def _renew_claim(self) -> None:
        p = research_projects
        try:
            with self._store.records() as conn:
                held = conn.execute(p.update().where(p.c.id == self._project_id, p.c.claimed_by == self._run_id)
                                    .values(heartbeat_at=now()).returning(p.c.id)).first()
            self.lost = held is None
        except Exception:  # a store hiccup: the next beat tries again
            log.warning("Research %s: heartbeat failed", self._project_id, exc_info=True)


# -- after a restart ------------------------------------------------------------------------------
def recover_abandoned(runtime) -> list[str]:
    """Ask the runner again for every active project a dead process left; returns their ids.

    DuckDB: this process holds the file, so every queued or running project is abandoned (its
    claim is released). PostgreSQL: only projects whose claim went stale, or that waited longer
    than CLAIM_STALE_SECONDS without one (their queue message was lost); live ones are left alone.
    A project the runner cannot take now (Redis down) is marked failed with the reason.
    """
    store, p = runtime.store, research_projects
    stale = now() - timedelta(seconds=CLAIM_STALE_SECONDS)
    active = store.rows(sa.select(p.c.id, p.c.claimed_by, p.c.heartbeat_at, p.c.created_at)
                        .where(p.c.status.in_(ACTIVE)).order_by(p.c.created_at))
    if store.is_duckdb:
        abandoned = [row["id"] for row in active]
        if abandoned:
            with store.records() as conn:
                conn.execute(p.update().where(p.c.id.in_(abandoned), p.c.status.in_(ACTIVE)).values(claimed_by=None))
    else:
        abandoned = [row["id"] for row in active if _older(row["heartbeat_at"] if row["claimed_by"] else
                                                            row["created_at"], stale)]
    for project_id in abandoned:
        try:
            submit(runtime, project_id)
        except HeliosError as error:
            fail_project(store, project_id, f"Could not be resumed after a restart: {error.message}")
        log.info("Research %s resumed after a restart", project_id)
    return abandoned


def _older(moment, than) -> bool:
    return moment is None or as_utc(moment) < than


__all__ = ["CLAIM_STALE_SECONDS", "EVENT_COMPLETED", "EVENT_PROGRESS", "HEARTBEAT_SECONDS", "JOB_NAME", "attach", "recover_abandoned",
           "run_project", "submit"]
