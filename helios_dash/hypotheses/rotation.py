"""Key rotation: re-encrypt every hypothesis under the first key, in committed batches.

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
from ..schema import hypotheses
from ..store import Store

BATCH = 500


@dataclass(frozen=True)
class RotationResult:
    """Rows looked at, re-encrypted, and already under the first key."""

    checked: int
    rotated: int
    current: int


def rotate_keys(store: Store, keyring: Keyring, by: Principal, batch: int = BATCH,
                progress=None) -> RotationResult:
    """Re-encrypt every hypothesis not yet under the first key; raises EncryptionUnavailable on an unopenable row."""
    checked = rotated = 0
    after = ""
    while True:
        rows = store.rows(sa.select(hypotheses.c.id, hypotheses.c.text_encrypted)
                          .where(hypotheses.c.id > after).order_by(hypotheses.c.id).limit(batch))
        if not rows:
            break
        stale = [row for row in rows if not keyring.is_current(row["text_encrypted"])]
        fresh = {row["id"]: (row["text_encrypted"], keyring.rotate(row["text_encrypted"])) for row in stale}
        if fresh:
            with store.records() as conn:
                for hypothesis_id, (old, new) in fresh.items():
                    rotated += conn.execute(hypotheses.update().where(
                        hypotheses.c.id == hypothesis_id, hypotheses.c.text_encrypted == old)
                        .values(text_encrypted=new)).rowcount
                audit.record(conn, by, "encryption.rotate", "hypothesis", None,
                             {"rows": len(fresh), "first_id": rows[0]["id"], "last_id": rows[-1]["id"]})
        checked += len(rows)
        after = rows[-1]["id"]
        if progress:
            progress(checked, rotated)
    return RotationResult(checked, rotated, checked - rotated)
