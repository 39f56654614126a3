"""Hypotheses: create, read, list and validate. No Flask here: callers pass a Principal.

Writes need the editor role (Forbidden otherwise) and run in one ``store.write()`` transaction
with their audit entry, so the data version moves and pages refresh. The text is stored only
encrypted (helios_dash/crypto.py) and never written into the audit log or an algorithm's name.

A validation row needs an algorithm and a domain. Each hypothesis gets its own algorithm,
created at its first successful validation: id = the hypothesis id, type ``novel`` (a
hypothesis proposes something new), named "Hypothesis <id>" (not its text, which is secret at
rest). Repeated validations of one hypothesis then add up on one leaderboard row, in its domain.
"""
from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa

from ..accounts import audit
from ..accounts.clock import as_utc, now
from ..crypto import Keyring
from ..domain.principal import Principal
from ..errors import BadRequest, Conflict, Forbidden, NotFound
from ..ops.metrics import VALIDATION_DURATION, VALIDATIONS
from ..schema import HYPOTHESIS_STATUSES, algorithms, domains, hypotheses, validations
from ..services.redaction import redact
from ..store import Store
from ..validators import PluginManager, plugin_manager, run_validator
from ..validators.runner import DEFAULT_TIMEOUT
from ..webhooks import events

MAX_TEXT = 10_000  # characters of hypothesis text
MAX_NOTES = 10_000
# A hypothesis left "validating" longer than this (its process died mid-run) may be validated again.
STALE_VALIDATING = timedelta(minutes=5)
ALGORITHM_TYPE = "novel"


def audited_write(store: Store):
    """The store's write transaction that may append audit entries (``Store.audited_write``)."""
    return store.audited_write()


def require(principal: Principal, role: str) -> None:
    """Forbidden unless ``principal`` holds ``role`` or above."""
    if not principal.has_role(role):
        raise Forbidden(f"This needs the {role} role.")


def check_text(text) -> str:
    """The hypothesis text, trimmed; the guide's VALIDATION_ERROR naming ``hypothesis`` when empty."""
    if not isinstance(text, str) or not text.strip():
        raise BadRequest("Hypothesis text is required", [{"field": "hypothesis", "message": "Cannot be empty"}])
    if len(text) > MAX_TEXT:
        raise BadRequest(f"Hypothesis text is limited to {MAX_TEXT:,} characters.",
                         [{"field": "hypothesis", "message": f"at most {MAX_TEXT:,} characters"}])
    return text.strip()


def check_domain(store: Store, domain) -> str:
    """``domain`` if it names a domain of the store; BadRequest naming ``domain`` otherwise."""
    if not isinstance(domain, str) or not domain.strip():
        raise BadRequest("A domain is required", [{"field": "domain", "message": "Cannot be empty"}])
    found = store.rows(sa.select(domains.c.id).where(domains.c.id == domain.strip()))
    if not found:
        known = [row["id"] for row in store.rows(sa.select(domains.c.id).order_by(domains.c.id).limit(20))]
        raise BadRequest(f"No domain called {domain!r}.",
                         [{"field": "domain", "message": "one of " + ", ".join(known) if known else "no domains yet"}])
    return domain.strip()


def check_notes(notes) -> str | None:
    if notes is None:
        return None
    if not isinstance(notes, str) or len(notes) > MAX_NOTES:
        raise BadRequest("internal_notes must be text of at most 10,000 characters.",
                         [{"field": "internal_notes", "message": "text, at most 10,000 characters"}])
    return notes


def create_hypothesis(store: Store, by: Principal, text, domain, *, keyring: Keyring, internal_notes=None,
                      context: audit.Context | None = None) -> dict:
    """Store a new draft hypothesis (text encrypted) with its audit entry; returns it as ``by`` may see it."""
    require(by, "editor")
    text, domain, notes = check_text(text), check_domain(store, domain), check_notes(internal_notes)
    token = keyring.encrypt(text)  # before the transaction: no key, no row
    hypothesis_id = f"hyp_{uuid.uuid4().hex}"
    moment = now()
    with audited_write(store) as conn:
        conn.execute(hypotheses.insert().values(
            id=hypothesis_id, text_encrypted=token, domain_id=domain, author_id=by.user_id, status="draft",
            internal_notes=notes, created_at=moment, updated_at=moment))
        audit.record(conn, by, "hypothesis.create", "hypothesis", hypothesis_id,
                     {"domain": domain, "status": "draft", "internal_notes": notes is not None}, context)
        events.hypothesis_created(conn, hypothesis_id, domain, by.user_id, moment)  # webhooks' outbox
    return get_hypothesis(store, by, hypothesis_id, keyring=keyring)


def get_hypothesis(store: Store, by: Principal, hypothesis_id: str, *, keyring: Keyring) -> dict:
    """One hypothesis with its text and validations; internal notes only for editors and admins."""
    require(by, "viewer")
    rows = store.rows(sa.select(hypotheses).where(hypotheses.c.id == str(hypothesis_id)))
    if not rows:
        raise NotFound(f"No hypothesis {hypothesis_id}.")
    found = readable(rows[0], keyring)
    found["validations"] = validations_of(store, found["id"])
    return redact(found, by)


def list_hypotheses(store: Store, by: Principal, *, keyring: Keyring, domain: str | None = None,
                    status: str | None = None, limit: int = 50, offset: int = 0) -> tuple[list[dict], int]:
    """A page of hypotheses, newest first (ties by id), and how many match in all."""
    require(by, "viewer")
    where = []
    if domain:
        where.append(hypotheses.c.domain_id == domain)
    if status:
        if status not in HYPOTHESIS_STATUSES:
            raise BadRequest(f"status is one of {', '.join(HYPOTHESIS_STATUSES)}.",
                             [{"field": "status", "message": "one of " + ", ".join(HYPOTHESIS_STATUSES)}])
        where.append(hypotheses.c.status == status)
    total = store.scalar(sa.select(sa.func.count()).select_from(hypotheses).where(*where))
    rows = store.rows(sa.select(hypotheses).where(*where)
                      .order_by(hypotheses.c.created_at.desc(), hypotheses.c.id.desc()).limit(limit).offset(offset))
    return [redact(readable(row, keyring), by) for row in rows], int(total or 0)


def readable(row: dict, keyring: Keyring) -> dict:
    """A row as services return it: decrypted text under the guide's name ``hypothesis``, UTC times."""
    return {
        "id": row["id"], "hypothesis": keyring.decrypt(row["text_encrypted"]), "domain": row["domain_id"],
        "status": row["status"], "failure_reason": row["failure_reason"], "validator": row["validator"],
        "algorithm_id": row["algorithm_id"], "author_id": row["author_id"],
        "internal_notes": row["internal_notes"],
        "created_at": as_utc(row["created_at"]), "updated_at": as_utc(row["updated_at"]),
    }


def validations_of(store: Store, hypothesis_id: str) -> list[dict]:
    """The hypothesis's validation rows, oldest first."""
    v = validations
    rows = store.rows(sa.select(v.c.id, v.c.validator, v.c.quality, v.c.confidence, v.c.speedup, v.c.tests,
                                v.c.created_at).where(v.c.hypothesis_id == hypothesis_id).order_by(v.c.id))
    return [{**row, "id": int(row["id"]), "created_at": as_utc(row["created_at"])} for row in rows]


def validate_hypothesis(store: Store, by: Principal, hypothesis_id: str, validator_name, evidence=None, *,
                        keyring: Keyring, plugins: PluginManager | None = None, timeout: float = DEFAULT_TIMEOUT,
                        context: audit.Context | None = None) -> dict:
    """Run a validator on the hypothesis; a validation row and status ``validated``, or ``failed`` with the reason.

    A plugin that raises, hangs or answers out of range fails the validation (never an error
    here, never a row). Returns the hypothesis with ``result`` (the numbers and the plugin's details).
    """
    require(by, "editor")
    validator = choose_validator(plugins or plugin_manager(), validator_name)
    if evidence is not None and not isinstance(evidence, dict):
        raise BadRequest("evidence must be a JSON object.", [{"field": "evidence", "message": "an object"}])
    row, text = start_validating(store, str(hypothesis_id), validator.key, keyring)
    with VALIDATION_DURATION.time():
        outcome = run_validator(validator, text, row["domain_id"], evidence, timeout)
    with audited_write(store) as conn:
        if outcome.failed:
            conn.execute(hypotheses.update().where(hypotheses.c.id == row["id"]).values(
                status="failed", failure_reason=outcome.reason, updated_at=now()))
            audit.record(conn, by, "hypothesis.validation_failed", "hypothesis", row["id"],
                         {"validator": validator.key, "status": "failed", "reason": outcome.reason}, context)
        else:
            validation_id = file_validation(store, conn, by, row, validator.key, outcome.result)
            events.hypothesis_validated(conn, row, validation_id, validator.key, outcome.result)
            changes = {"validator": validator.key, "status": "validated", "validation_id": validation_id,
                       "quality": outcome.result.quality, "confidence": outcome.result.confidence,
                       "speedup": outcome.result.speedup, "tests": outcome.result.tests,
                       "details": outcome.result.details}
            audit.record(conn, by, "hypothesis.validate", "hypothesis", row["id"], changes, context)
    # Counted once committed: a validation whose write failed did not happen.
    VALIDATIONS.labels(domain=row["domain_id"], result="failed" if outcome.failed else "validated").inc()
    answer = get_hypothesis(store, by, row["id"], keyring=keyring)
    answer["result"] = None if outcome.failed else {
        "validator": validator.key, "quality": outcome.result.quality, "confidence": outcome.result.confidence,
        "speedup": outcome.result.speedup, "tests": outcome.result.tests, "details": outcome.result.details,
        "simulated": bool(validator.plugin.simulated)}
    return answer


def choose_validator(plugins: PluginManager, name):
    """The validator called ``name``; BadRequest naming ``validator`` with the available ones otherwise."""
    found = plugins.get(name) if isinstance(name, str) else None
    if found is None:
        names = ", ".join(v.key for v in plugins.all() if v.plugin is not None)
        raise BadRequest(f"No validator called {name!r}; available: {names}.",
                         [{"field": "validator", "message": f"one of {names}"}])
    return found


def start_validating(store: Store, hypothesis_id: str, validator_key: str, keyring: Keyring) -> tuple[dict, str]:
    """Mark the hypothesis ``validating`` (its own transaction: others see it is under way); return its row and text.

    Conflict while another validation of it runs, unless that one is stale (its process died). The
    text is decrypted first, so a missing key leaves the hypothesis as it was.
    """
    with audited_write(store) as conn:
        row = conn.execute(sa.select(hypotheses).where(hypotheses.c.id == hypothesis_id)).mappings().first()
        if row is None:
            raise NotFound(f"No hypothesis {hypothesis_id}.")
        if row["status"] == "validating" and as_utc(row["updated_at"]) > now() - STALE_VALIDATING:
            raise Conflict(f"Hypothesis {hypothesis_id} is being validated; try again when that run ends.")
        text = keyring.decrypt(row["text_encrypted"])
        conn.execute(hypotheses.update().where(hypotheses.c.id == hypothesis_id).values(
            status="validating", validator=validator_key, failure_reason=None, updated_at=now()))
    return dict(row), text


def file_validation(store: Store, conn, by: Principal, row: dict, validator_key: str, result) -> int:
    """Insert the validation row (and, the first time, the hypothesis's algorithm); returns the row's id."""
    algorithm_id = row["algorithm_id"] or row["id"]
    moment = now()
    exists = conn.execute(sa.select(algorithms.c.id).where(algorithms.c.id == algorithm_id)).first()
    if exists is None:
        conn.execute(algorithms.insert().values(
            id=algorithm_id, name=f"Hypothesis {row['id']}", domain_id=row["domain_id"], type=ALGORITHM_TYPE,
            description="Proposed as a hypothesis; its text is encrypted and shown with the hypothesis.",
            author_email=by.email, created_at=moment))
    validation_id = store.reserve_ids(conn, 1)
    conn.execute(validations.insert().values(
        id=validation_id, algorithm_id=algorithm_id, domain_id=row["domain_id"], hypothesis_id=row["id"],
        quality=float(result.quality), confidence=float(result.confidence), speedup=float(result.speedup),
        tests=int(result.tests), validator=validator_key, created_at=moment))
    conn.execute(hypotheses.update().where(hypotheses.c.id == row["id"]).values(
        status="validated", validator=validator_key, failure_reason=None, algorithm_id=algorithm_id,
        updated_at=moment))
    return validation_id
