"""The payloads of the event vocabulary, one function per event, called by the write services in their transaction.

Payloads carry ids and numbers, never hypothesis text (encrypted at rest: a receiver with a token
reads it from the API), author e-mails or internal notes.
"""
from __future__ import annotations

import sqlalchemy as sa

from ..schema import validations
from .outbox import record_event


def hypothesis_created(conn, hypothesis_id: str, domain: str, author_id, moment) -> None:
    """``hypothesis.created``: a new draft."""
    record_event(conn, "hypothesis.created", {"id": hypothesis_id, "domain": domain, "status": "draft",
                                              "author_id": author_id, "created_at": moment}, moment=moment)


def hypothesis_validated(conn, row: dict, validation_id: int, validator: str, result) -> None:
    """``hypothesis.validated`` and ``validation.completed`` (source "hypothesis") for one validation row."""
    numbers = {"quality": float(result.quality), "confidence": float(result.confidence),
               "speedup": float(result.speedup), "tests": int(result.tests)}
    algorithm_id = row["algorithm_id"] or row["id"]
    record_event(conn, "hypothesis.validated", {"id": row["id"], "domain": row["domain_id"], "status": "validated",
                                                "validator": validator, "validation_id": validation_id,
                                                "algorithm_id": algorithm_id, **numbers})
    record_event(conn, "validation.completed", {
        "source": "hypothesis", "count": 1, "first_id": validation_id, "last_id": validation_id,
        "domains": [row["domain_id"]], "hypothesis_id": row["id"], "algorithm_id": algorithm_id,
        "validator": validator, **numbers})


def validations_ingested(conn, first_id: int, inserted: int) -> None:
    """``validation.completed`` (source "ingest") for one batch: its ids are the block first_id..last_id."""
    last_id = first_id + inserted - 1
    found = conn.execute(sa.select(validations.c.domain_id).distinct()
                         .where(validations.c.id.between(first_id, last_id))).scalars().all()
    record_event(conn, "validation.completed", {"source": "ingest", "count": inserted, "first_id": first_id,
                                                "last_id": last_id, "domains": sorted(found)})


def research_completed(conn, project_id: str, status: str, done: int, total: int, error: str | None) -> None:
    """``research.completed``: a project ended, completed or failed (as the bus's event of that name)."""
    record_event(conn, "research.completed", {"id": project_id, "status": status, "done": int(done),
                                              "total": int(total), "error": error})
