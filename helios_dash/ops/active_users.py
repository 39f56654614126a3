"""helios_active_users: people with a browser session seen in the last 15 minutes, read at scrape time.

A gauge kept in memory would count only the sessions one worker saw; the sessions table is
shared by every worker and host, so reading it when Prometheus asks is right everywhere.
"""
from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from prometheus_client.core import GaugeMetricFamily

from ..accounts.clock import now
from ..schema import sessions
from ..store import Store

log = logging.getLogger(__name__)

ACTIVE_WINDOW = timedelta(minutes=15)  # sessions.last_seen_at is written at most once a minute


def count_active_users(store: Store, window: timedelta = ACTIVE_WINDOW) -> int:
    """Distinct users with a session seen within ``window``."""
    cutoff = now() - window
    return int(store.scalar(sa.select(sa.func.count(sa.distinct(sessions.c.user_id)))
                            .where(sessions.c.last_seen_at >= cutoff)) or 0)


class ActiveUsersCollector:
    """A prometheus_client collector yielding helios_active_users from ``store``."""

    def __init__(self, store: Store):
        self.store = store

    def collect(self):
        try:
            active = count_active_users(self.store)
        except Exception:  # the store is down: the other metrics still answer; /health/ready says why
            log.warning("helios_active_users: the sessions could not be counted", exc_info=True)
            return
        yield GaugeMetricFamily("helios_active_users",
                                "Users with a browser session seen in the last 15 minutes", value=active)
