"""A stream of new validations, so a person can watch the dashboard move.

Each new validation looks like its algorithm's recent ones: quality and
speedup are drawn around the algorithm's mean of the last 30 days.
"""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd

from ..filters import Filters
from ..queries import select_algorithm_metrics
from ..schema import validations
from ..store import Store

VALIDATOR = "helios-simulator"


def recent_profiles(store: Store, days: int = 30) -> pd.DataFrame:
    """Per algorithm: domain, mean/std quality and mean speedup over the last ``days`` days (all time if none)."""
    today = datetime.now(timezone.utc).date()
    profiles = select_algorithm_metrics(store, Filters(start=today - timedelta(days=days), end=today))
    if profiles.empty:
        profiles = select_algorithm_metrics(store, Filters())
    return profiles[["algorithm_id", "domain_id", "validations", "mean_quality", "std_quality", "mean_speedup"]]


def simulate_batch(store: Store, profiles: pd.DataFrame, count: int, rng: np.random.Generator) -> int:
    """Insert ``count`` validations dated now; busier algorithms are picked more often."""
    if count <= 0 or profiles.empty:
        return 0
    weights = profiles["validations"].to_numpy(dtype=float)
    picked = profiles.iloc[rng.choice(len(profiles), size=count, p=weights / weights.sum())]
    spread = picked["std_quality"].fillna(5.0).clip(lower=1.0).to_numpy()
    tests = rng.poisson(12, count)
    with store.write() as conn:
        first = store.reserve_ids(conn, count)
        store.append_frame(conn, validations, pd.DataFrame({
            "id": np.arange(first, first + count),
            "algorithm_id": picked["algorithm_id"].to_numpy(),
            "domain_id": picked["domain_id"].to_numpy(),
            "quality": np.clip(rng.normal(picked["mean_quality"].to_numpy(), spread), 0, 100),
            "confidence": np.clip(0.3 + 0.65 * (1 - np.exp(-tests / 10)) + rng.normal(0, 0.03, count), 0, 1),
            "speedup": picked["mean_speedup"].to_numpy() * rng.lognormal(0, 0.15, count),
            "tests": tests,
            "validator": VALIDATOR,
            "created_at": pd.Timestamp(datetime.now(timezone.utc)),
        }))
    return count


class Simulator(threading.Thread):
    """A daemon thread inserting about ``rate`` validations per second until stopped."""

    def __init__(self, store: Store, rate: float, seed: int | None = None):
        super().__init__(name="helios-simulator", daemon=True)
        self.store, self.rate = store, rate
        self.rng = np.random.default_rng(seed)
        self.inserted = 0
        self._stopping = threading.Event()

    def run(self) -> None:
        profiles = recent_profiles(self.store)
        while not self._stopping.wait(1.0):
            self.inserted += simulate_batch(self.store, profiles, int(self.rng.poisson(self.rate)), self.rng)

    def stop(self) -> None:
        """Ask the thread to finish after its current batch."""
        self._stopping.set()
