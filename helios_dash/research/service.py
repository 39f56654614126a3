"""Research projects: create (audited, then queued), read, list, and the rows the job keeps up to date.

No Flask here: callers pass a Principal. State lives in ``research_projects`` / ``research_results``
and is written through ``store.records()`` (progress must not bump the data version nor wait behind
an import); the validations themselves go through the hypotheses service, which writes and audits
them as it always does.
"""
from __future__ import annotations

import json
import re
import uuid
from dataclasses import asdict

import sqlalchemy as sa

from ..accounts import audit
from ..accounts.clock import as_utc, now
from ..crypto import Keyring
from ..domain.principal import Principal
from ..errors import NotFound
from ..hypotheses.service import check_domain, require
from ..schema import research_projects, research_results
from ..store import Store

API_ROOT = "/api/v1/research"
ACTIVE = ("queued", "running")
PROJECT_ID = re.compile(r"res_[0-9a-f]{32}")


def new_project(store: Store, by: Principal, *, name: str, domain: str, validator: str, texts: list[str],
                evidence: dict | None, keyring: Keyring, context: audit.Context | None = None) -> str:
    """Store a queued project with its audit entry ``research.create``; returns its id (the job is not yet asked for)."""
    require(by, "editor")
    domain = check_domain(store, domain)
    token = keyring.encrypt(json.dumps(texts, ensure_ascii=False))  # before the transaction: no key, no row
    project_id = f"res_{uuid.uuid4().hex}"
    with store.records() as conn:
        conn.execute(research_projects.insert().values(
            id=project_id, name=name, domain_id=domain, validator=validator, hypotheses_encrypted=token,
            evidence=None if evidence is None else json.dumps(evidence, allow_nan=False), total=len(texts), done=0,
            status="queued", author_id=by.user_id, requester=principal_json(by),
            context=json.dumps(asdict(context or audit.Context())), created_at=now()))
        audit.record(conn, by, "research.create", "research", project_id,
                     {"name": name, "domain": domain, "validator": validator, "hypotheses": len(texts),
                      "evidence": evidence is not None}, context)
    return project_id


def get_research(store: Store, by: Principal, project_id: str, *, keyring: Keyring) -> dict:
    """One project with its results so far; NotFound for an unknown id."""
    require(by, "viewer")
    # Not one of ours (a NUL byte, say, which PostgreSQL refuses in a parameter): not found, unasked.
    rows = store.rows(sa.select(research_projects).where(research_projects.c.id == str(project_id))) \
        if PROJECT_ID.fullmatch(str(project_id)) else []
    if not rows:
        raise NotFound(f"No research project {project_id}.")
    return describe(rows[0], results_of(store, rows[0]["id"]), texts_of(rows[0], keyring))


def list_research(store: Store, by: Principal, *, keyring: Keyring, limit: int, offset: int) -> tuple[list[dict], int]:
    """A page of projects, newest first (ties by id), and how many there are."""
    require(by, "viewer")
    p = research_projects
    total = int(store.scalar(sa.select(sa.func.count()).select_from(p)) or 0)
    rows = store.rows(sa.select(p).order_by(p.c.created_at.desc(), p.c.id.desc()).limit(limit).offset(offset))
    results = results_by_project(store, [row["id"] for row in rows])
    return [describe(row, results.get(row["id"], []), texts_of(row, keyring)) for row in rows], total


def project_row(store: Store, project_id: str) -> dict | None:
    """The project's row as stored, or None."""
    rows = store.rows(sa.select(research_projects).where(research_projects.c.id == project_id))
    return rows[0] if rows else None


def results_of(store: Store, project_id: str, after: int = 0) -> list[dict]:
    """The project's result rows with position above ``after``, in order."""
    r = research_results
    return store.rows(sa.select(r).where(r.c.project_id == project_id, r.c.position > after).order_by(r.c.position))


def results_by_project(store: Store, project_ids: list[str]) -> dict[str, list[dict]]:
    if not project_ids:
        return {}
    r = research_results
    found: dict[str, list[dict]] = {}
    for row in store.rows(sa.select(r).where(r.c.project_id.in_(project_ids)).order_by(r.c.project_id, r.c.position)):
        found.setdefault(row["project_id"], []).append(row)
    return found


def texts_of(row: dict, keyring: Keyring) -> list[str]:
    """The project's hypothesis texts (decrypted)."""
    return json.loads(keyring.decrypt(row["hypotheses_encrypted"]))


def describe(row: dict, results: list[dict], texts: list[str]) -> dict:
    """A project as the API shows it (helpers/research_contract.md, <Research>), times as datetimes."""
    done, total = len(results), int(row["total"])
    return {
        "id": row["id"], "name": row["name"], "domain": row["domain_id"], "validator": row["validator"],
        "status": row["status"],
        "progress": {"done": done, "total": total, "percent": round(100.0 * done / total, 1)},
        "results": [describe_result(result, texts) for result in results],
        "error": row["error"],
        "created_at": as_utc(row["created_at"]), "started_at": as_utc(row["started_at"]),
        "finished_at": as_utc(row["finished_at"]),
        "links": {"self": f"{API_ROOT}/{row['id']}", "stream": f"{API_ROOT}/{row['id']}/stream"},
    }


def describe_result(row: dict, texts: list[str]) -> dict:
    """A result row as the API shows it (<Result>)."""
    position = int(row["position"])
    return {"index": position, "hypothesis_id": row["hypothesis_id"], "hypothesis": texts[position - 1],
            "status": row["status"], "validation": json.loads(row["validation"]) if row["validation"] else None,
            "error": row["error"]}


def principal_json(by: Principal) -> str:
    """The requester as stored: enough to act as them again in a job."""
    fields = asdict(by)
    fields["scopes"] = sorted(by.scopes)
    return json.dumps(fields)


def principal_from_json(text: str) -> Principal:
    fields = json.loads(text)
    fields["scopes"] = frozenset(fields["scopes"])
    return Principal(**fields)


def context_from_json(text: str | None) -> audit.Context:
    return audit.Context(**json.loads(text)) if text else audit.Context()
