"""The text Prometheus scrapes: this process's metrics, or every worker's under multiprocess mode."""
from __future__ import annotations

import os

from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector

from ..store import Store
from . import metrics  # noqa: F401 - defines every metric before the first scrape
from .active_users import ActiveUsersCollector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir() -> str | None:
    """The folder where gunicorn's workers keep their values (set before prometheus_client is imported)."""
    return os.environ.get(MULTIPROC_ENV) or None


class ThisProcess:
    """The default registry (this process's metrics, plus its CPU and memory) as one collector."""

    def collect(self):
        return REGISTRY.collect()


def scrape_registry(store: Store) -> CollectorRegistry:
    """A registry for one scrape: the counters and histograms, plus the active users read from ``store``."""
    registry = CollectorRegistry(auto_describe=False)  # no describe(): names are not checked twice
    folder = multiprocess_dir()
    if folder:
        MultiProcessCollector(registry, path=folder)  # every worker's files, added up (gauges by their mode)
    else:
        registry.register(ThisProcess())
    registry.register(ActiveUsersCollector(store))
    return registry


def render(store: Store, accept: str | None) -> tuple[bytes, str]:
    """The exposition body and its content type: OpenMetrics when the scraper asks for it, else text 0.0.4."""
    encoder, content_type = choose_encoder(accept or "")
    return encoder(scrape_registry(store)), content_type
