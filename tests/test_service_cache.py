"""Services memoized per data version: kept for the guide's TTL at most, never past a write."""
from __future__ import annotations

import time

from helios_dash.services import cached
from helios_dash.services.cached import TTL_ALGORITHM, TTL_LEADERBOARD, per_data_version


def test_the_guides_ttls():
    assert (TTL_LEADERBOARD, TTL_ALGORITHM) == (5 * 60, 60 * 60)  # leaderboard 5 min, algorithm 1 h


def test_an_answer_is_kept_until_its_ttl_or_the_next_write(app, monkeypatch):
    version, calls = [1], []
    monkeypatch.setattr(cached, "current_data_version", lambda: version[0])

    @per_data_version(ttl=1)
    def computed(key):
        calls.append(key)
        return len(calls)

    with app.app_context():
        assert computed("quantum") == 1 and computed("quantum") == 1  # the second call is served from the cache
        version[0] = 2  # a write: a new key, so the next call computes
        assert computed("quantum") == 2 and computed("quantum") == 2
        time.sleep(1.5)  # past the one-second TTL with no write: computed again
        assert computed("quantum") == 3


def test_the_bare_decorator_still_works(app, monkeypatch):
    monkeypatch.setattr(cached, "current_data_version", lambda: 7)
    calls = []

    @per_data_version
    def computed():
        calls.append(1)
        return len(calls)

    with app.app_context():
        assert computed() == computed() == 1
