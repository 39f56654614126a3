"""Key rotation: re-encrypt every secret column under the first key, in committed batches.

The secret columns are hypothesis texts and research projects' hypothesis lists (ENCRYPTED);
a table that adds one lists it there, or dropping an old key would leave its rows unreadable.

Resumable: each batch is its own transaction, and a row already under the first key is
skipped, so a run stopped half-way (or run twice) continues where it was. An update only
lands if the row still holds the token that was read (compare and set), so a hypothesis
changed meanwhile is not overwritten; the next run picks it up. Rotation changes no data a
page shows, so it runs as a records transaction (no data-version bump).
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from ..accounts import audit
from ..crypto import Keyring
from ..domain.principal import Principal
from ..schema import hypotheses, research_projects
from ..store import Store

BATCH = 500
# (table, its encrypted column, the audit entry's target type): every Fernet token at rest.
ENCRYPTED = ((hypotheses, "text_encrypted", "hypothesis"),
             (research_projects, "hypotheses_encrypted", "research"))


@dataclass(frozen=True)
class RotationResult:
    """Rows looked at, re-encrypted, and already under the first key."""

    checked: int
    rotated: int
    current: int


def rotate_keys(store: Store, keyring: Keyring, by: Principal, batch: int = BATCH,
                progress=None) -> RotationResult:
    """Re-encrypt every secret not yet under the first key; raises EncryptionUnavailable on an unopenable row."""
    totals = RotationResult(0, 0, 0)
    for table, column, target in ENCRYPTED:
        done = rotate_column(store, keyring, by, table.c.id, table.c[column], target, batch, progress, totals)
        totals = RotationResult(*(before + added for before, added in zip(
            (totals.checked, totals.rotated, totals.current), (done.checked, done.rotated, done.current))))
    return totals


def rotate_column(store: Store, keyring: Keyring, by: Principal, id_column, token_column, target: str, batch: int,
                  progress, earlier: RotationResult) -> RotationResult:
    """One table's pass, in batches ordered by id (``progress`` is told running totals over every table)."""
    checked = rotated = 0
    after = ""
    while True:
        rows = store.rows(sa.select(id_column.label("id"), token_column.label("token"))
                          .where(id_column > after).order_by(id_column).limit(batch))
        if not rows:
            break
        stale = [row for row in rows if not keyring.is_current(row["token"])]
        fresh = {row["id"]: (row["token"], keyring.rotate(row["token"])) for row in stale}
        if fresh:
            with store.records() as conn:
                for row_id, (old, new) in fresh.items():
                    rotated += conn.execute(sa.update(id_column.table).where(id_column == row_id, token_column == old)
                                            .values({token_column.name: new})).rowcount
                audit.record(conn, by, "encryption.rotate", target, None,
                             {"rows": len(fresh), "first_id": rows[0]["id"], "last_id": rows[-1]["id"]})
        checked += len(rows)
        after = rows[-1]["id"]
        if progress:
            progress(earlier.checked + checked, earlier.rotated + rotated)
    return RotationResult(checked, rotated, checked - rotated)
