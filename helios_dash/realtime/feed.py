"""From the runtime's event bus to typed /stream messages: one subscriber and one thread per process.

Events on the bus today (``grep -rn bus.publish helios_dash``):
- ``data.changed {"version"}`` after every committed write (``runtime.py``): validations ingested
  or imported, hypotheses created or validated, demo seeding. The feed reads what the write added
  (validations above its id watermark, hypotheses newer than its watermark) and sends
  ``validation_complete`` / ``hypothesis_generated``; and, when someone listens on ``leaderboard``,
  ranks the default leaderboard once (services.leaderboard.rank_algorithms, cached per data
  version) and sends ``leaderboard_update`` with the ranks that moved since the last ranking.
- ``research.progress`` after each recorded result and ``research.completed`` when a project ends,
  both ``{"id", "status", "done", "total"}`` (``research/job.py``) -> ``research_progress``.

The bus calls subscribers on the publisher's thread, so the subscriber only enqueues; the feed's
thread drains the queue and coalesces a burst of writes into one read of the newest version:
the leaderboard is ranked at most once per data version change, whatever the number of sockets.
"""
from __future__ import annotations

import logging
import queue
import threading

import sqlalchemy as sa

from . import messages
from .hub import Hub

log = logging.getLogger(__name__)

DATA_CHANGED = "data.changed"
RESEARCH_EVENTS = ("research.progress", "research.completed")
MAX_ROWS_PER_WRITE = 10  # an import of 100,000 rows announces its newest 10 (a burst well inside a send queue)
TOP_ROWS = 10
BOARD_FIELDS = ("rank", "algorithm_id", "name", "domain", "type", "mean_quality", "ci_low", "validations")


class Feed:
    """Turns bus events into hub broadcasts, on a thread of its own, inside ``server``'s app context."""

    def __init__(self, server, hub: Hub):
        self.server = server
        self.hub = hub
        self._events: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._started = False
        self._last_validation_id: int | None = None
        self._last_hypothesis_at = None
        self._seen_hypotheses: set[str] = set()
        self._ranks: dict[str, int] | None = None  # the last ranking of the default leaderboard
        self.rankings = 0  # how many times the leaderboard was ranked for a push (benchmarks read it)

    def start(self, runtime) -> None:
        """Subscribe to the bus and start the thread (once per process; later calls do nothing)."""
        with self._lock:
            if self._started:
                return
            self._started = True
            with self.server.app_context():
                self._advance_watermarks(runtime.store)
            runtime.bus.subscribe(self._on_event)
            threading.Thread(target=self._run, name="helios-stream-feed", daemon=True).start()

    def remember_ranks(self) -> None:
        """Rank the leaderboard now, if never ranked: the 'before' of the first push (a subscriber asked)."""
        with self._lock:
            if self._ranks is not None:
                return
            with self.server.app_context():
                self._ranks = {key: rank for key, (rank, _name) in self._rank()[0].items()}

    def _on_event(self, event: str, payload: dict) -> None:
        if event == DATA_CHANGED or event in RESEARCH_EVENTS:
            self._events.put((event, payload))

    def _run(self) -> None:
        while True:
            batch = [self._events.get()]
            while True:  # a burst of writes: one read of the newest state serves them all
                try:
                    batch.append(self._events.get_nowait())
                except queue.Empty:
                    break
            try:
                with self.server.app_context():
                    self._handle(batch)
            except Exception:  # the feed must outlive any one bad event
                log.exception("WebSocket feed: failed on %d events", len(batch))

    def _handle(self, batch: list[tuple[str, dict]]) -> None:
        from ..runtime import current_runtime

        for event, payload in batch:
            if event in RESEARCH_EVENTS:
                self.hub.broadcast(messages.research_progress(
                    {key: payload.get(key) for key in ("id", "status", "done", "total")}))
        versions = [p.get("version") for e, p in batch if e == DATA_CHANGED]
        if not versions:
            return
        store = current_runtime().store
        if len(self.hub) == 0:
            self._advance_watermarks(store)  # nobody listens: just keep up
            self._ranks = None
            return
        for row in self._new_validations(store):  # first: what most sockets wait for
            self.hub.broadcast(messages.validation_complete(row))
        for row in self._new_hypotheses(store):
            self.hub.broadcast(messages.hypothesis_generated(row))
        if self.hub.subscribers(messages.LEADERBOARD):
            self._push_leaderboard(max(v for v in versions if v is not None) if any(versions) else None)
        else:
            self._ranks = None  # ranked afresh when someone subscribes again

    def _push_leaderboard(self, version) -> None:
        before = self._ranks or {}
        after, top = self._rank()
        changes = [{"algorithm_id": key, "name": name, "rank_before": before.get(key), "rank_after": rank}
                   for key, (rank, name) in after.items() if before.get(key) != rank]
        changes += [{"algorithm_id": key, "name": None, "rank_before": rank, "rank_after": None}
                    for key, rank in before.items() if key not in after]
        changes.sort(key=lambda c: (c["rank_after"] is None, c["rank_after"] or 0, c["algorithm_id"]))
        self._ranks = {key: rank for key, (rank, _name) in after.items()}
        self.hub.broadcast(messages.leaderboard_update(version, changes, top))

    def _rank(self):
        """({algorithm_id: (rank, name)}, top rows) of the default leaderboard (the API's and the page's)."""
        from ..filters import Filters
        from ..services.leaderboard import rank_algorithms

        self.rankings += 1
        board = rank_algorithms(Filters())
        ranks = {str(row.algorithm_id): (int(row.rank), str(row.name)) for row in board.itertuples()}
        top = board.sort_values("rank").head(TOP_ROWS)[[f for f in BOARD_FIELDS if f in board.columns]]
        return ranks, [{k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
                       for row in top.to_dict("records")]

    # -- what a write added ------------------------------------------------------
    def _advance_watermarks(self, store) -> None:
        from ..schema import hypotheses, validations

        self._last_validation_id = int(store.scalar(sa.select(sa.func.max(validations.c.id))) or 0)
        self._last_hypothesis_at = store.scalar(sa.select(sa.func.max(hypotheses.c.created_at)))
        self._seen_hypotheses = set()

    def _new_validations(self, store) -> list[dict]:
        from ..schema import algorithms, validations as v

        last = self._last_validation_id or 0
        newest = int(store.scalar(sa.select(sa.func.max(v.c.id))) or 0)
        if newest <= last:
            return []
        query = (sa.select(v.c.id, v.c.algorithm_id, algorithms.c.name.label("algorithm"), v.c.domain_id,
                           v.c.quality, v.c.confidence, v.c.speedup, v.c.tests, v.c.validator, v.c.hypothesis_id,
                           v.c.created_at, algorithms.c.author_email)
                 .join(algorithms, algorithms.c.id == v.c.algorithm_id)
                 .where(v.c.id > last).order_by(v.c.id.desc()).limit(MAX_ROWS_PER_WRITE))
        rows = [plain(row) for row in reversed(store.rows(query))]
        self._last_validation_id = newest
        return rows

    def _new_hypotheses(self, store) -> list[dict]:
        from ..crypto import keyring_for
        from ..runtime import current_runtime
        from ..schema import hypotheses as h

        query = (sa.select(h.c.id, h.c.text_encrypted, h.c.domain_id, h.c.status, h.c.internal_notes,
                           h.c.created_at, h.c.author_id)
                 .order_by(h.c.created_at.desc()).limit(MAX_ROWS_PER_WRITE))
        if self._last_hypothesis_at is not None:
            query = query.where(h.c.created_at >= self._last_hypothesis_at)
        rows = [row for row in store.rows(query) if row["id"] not in self._seen_hypotheses]
        if not rows:
            return []
        newest = max(row["created_at"] for row in rows)
        if newest != self._last_hypothesis_at:
            self._seen_hypotheses = set()
        self._last_hypothesis_at = newest
        self._seen_hypotheses |= {row["id"] for row in rows if row["created_at"] == newest}
        emails = author_emails(store, {row["author_id"] for row in rows})
        keyring = keyring_for(current_runtime().settings)
        found = []
        for row in sorted(rows, key=lambda r: (r["created_at"], r["id"])):
            try:
                text = keyring.decrypt(row["text_encrypted"])
            except Exception:  # no key in this process: the message goes out without the text
                text = None
            found.append(plain({"id": row["id"], "hypothesis": text, "domain": row["domain_id"],
                                "status": row["status"], "created_at": row["created_at"],
                                "internal_notes": row["internal_notes"],
                                "author_email": emails.get(row["author_id"])}))
        return found


def author_emails(store, user_ids: set) -> dict:
    """{user id: e-mail} for the authors named (editors see them; the message redaction drops them for viewers)."""
    from ..schema import users

    ids = [i for i in user_ids if i is not None]
    if not ids:
        return {}
    return {row["id"]: row["email"] for row in store.rows(sa.select(users.c.id, users.c.email)
                                                           .where(users.c.id.in_(ids)))}


def plain(row) -> dict:
    """A row as JSON-ready values: UTC ISO times, ints and floats."""
    out = {}
    for key, value in dict(row).items():
        if hasattr(value, "isoformat"):
            value = value.isoformat()
        elif hasattr(value, "item"):
            value = value.item()
        out[key] = value
    return out
