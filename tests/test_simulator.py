"""The simulator streams plausible validations through the store's write path."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import numpy as np
import sqlalchemy as sa

from helios_dash.demo import seed_demo
from helios_dash.demo.simulator import VALIDATOR, Simulator, recent_profiles, simulate_batch
from helios_dash.schema import validations as v


def simulated(store):
    return store.read(sa.select(v).where(v.c.validator == VALIDATOR))


def test_batch_inserts_valid_rows_dated_now(store):
    seed_demo(store, validations=5_000, progress=False)
    version = store.data_version()
    inserted = simulate_batch(store, recent_profiles(store), 50, np.random.default_rng(1))
    rows = simulated(store)
    assert inserted == 50 and len(rows) == 50
    assert store.data_version() == version + 1
    assert rows["quality"].between(0, 100).all() and rows["confidence"].between(0, 1).all()
    assert (rows["speedup"] > 0).all() and (rows["tests"] >= 0).all()
    assert (rows["created_at"] > datetime.now(timezone.utc) - timedelta(minutes=1)).all()
    assert rows["id"].is_unique and rows["id"].min() == 5_001  # continues the existing ids


def test_thread_streams_until_stopped(store):
    seed_demo(store, validations=2_000, progress=False)
    simulator = Simulator(store, rate=40, seed=3)
    simulator.start()
    time.sleep(2.5)
    simulator.stop()
    simulator.join(timeout=5)
    assert not simulator.is_alive()
    assert len(simulated(store)) == simulator.inserted > 0
