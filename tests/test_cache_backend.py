"""The cache configuration: SimpleCache alone, a shared Redis cache that survives Redis going away."""
from __future__ import annotations

import pytest
import redis
from flask import Flask
from flask_caching import Cache

from helios_dash.cache_backend import CircuitBreaker, ResilientRedisCache, cache_config
from helios_dash.settings import Settings
from tests.redis_helpers import REDIS_URL, closed_port_url, delete_keys, unique_prefix


class ConnectAttempts:
    """Counts the sockets redis-py tries to open (every client in the process)."""

    def __init__(self, monkeypatch):
        self.count = 0
        original = redis.connection.Connection._connect

        def counting(connection):
            self.count += 1
            return original(connection)

        monkeypatch.setattr(redis.connection.Connection, "_connect", counting)


def square_counting(calls: list):
    """A memoizable function that records each real call."""
    def square(number):
        calls.append(number)
        return number * number

    return square


def app_with(config: dict) -> tuple[Flask, Cache]:
    app = Flask(__name__)
    cache = Cache()
    cache.init_app(app, config=config)
    return app, cache


@pytest.fixture
def prefix():
    """A cache key prefix of this test's own, deleted afterwards."""
    chosen = f"{unique_prefix('cache')}:"
    yield chosen
    delete_keys(chosen)


def test_without_redis_the_cache_is_in_process():
    config = cache_config(Settings(redis_url=None))
    assert config == {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 300}
    app, cache = app_with(config)
    with app.app_context():
        cache.set("k", 41)
        assert cache.get("k") == 41


def test_with_redis_the_cache_is_the_resilient_one_under_the_helios_prefix():
    config = cache_config(Settings(redis_url=REDIS_URL))
    assert config["CACHE_TYPE"] == "helios_dash.cache_backend.ResilientRedisCache"
    assert config["CACHE_KEY_PREFIX"] == "helios:cache:"
    app, cache = app_with(config)
    with app.app_context():
        assert isinstance(cache.cache, ResilientRedisCache)


def test_two_apps_with_the_same_config_share_cached_values(prefix):
    config = {**cache_config(Settings(redis_url=REDIS_URL)), "CACHE_KEY_PREFIX": prefix}
    cache = Cache()  # like helios_dash.extensions.cache: one object, bound to several apps
    first, second = Flask("first"), Flask("second")
    cache.init_app(first, config=config)
    cache.init_app(second, config=config)
    calls = []
    square = cache.memoize()(square_counting(calls))

    with first.app_context():
        assert square(12) == 144
        cache.set("plain", {"rows": [1, 2]})
    with second.app_context():
        assert square(12) == 144
        assert cache.get("plain") == {"rows": [1, 2]}
    assert calls == [12]  # the second app used the first's entry
    client = redis.Redis.from_url(REDIS_URL)
    try:
        assert client.exists(f"{prefix}plain")
    finally:
        client.close()


def test_with_redis_down_results_stay_right_and_the_breaker_skips_the_socket(monkeypatch):
    attempts = ConnectAttempts(monkeypatch)
    config = {**cache_config(Settings(redis_url=closed_port_url())), "CACHE_BREAKER_SECONDS": 3600}
    app, cache = app_with(config)
    calls = []
    square = cache.memoize()(square_counting(calls))
    with app.app_context():
        assert square(3) == 9
        after_first = attempts.count
        assert after_first >= 1  # the first call tried Redis and found it down
        assert square(3) == 9
        assert square(4) == 16
        cache.set("k", 1)
        assert cache.get("k") is None  # a miss, not an error
        assert attempts.count == after_first  # inside the window: no more connection attempts
        assert cache.cache.breaker.skipped > 0
    assert calls == [3, 3, 4]  # computed every time: nothing was cached, nothing was wrong


def test_after_the_window_one_call_probes_redis_again(monkeypatch):
    attempts = ConnectAttempts(monkeypatch)
    config = {**cache_config(Settings(redis_url=closed_port_url())), "CACHE_BREAKER_SECONDS": 3600}
    app, cache = app_with(config)
    with app.app_context():
        breaker = cache.cache.breaker
        now = [1000.0]
        breaker._clock = lambda: now[0]
        assert cache.get("k") is None
        tried = attempts.count
        now[0] += 3599
        assert cache.get("k") is None and attempts.count == tried
        now[0] += 2  # the window is over: the next call tries Redis once more
        assert cache.get("k") is None and attempts.count > tried
        tried = attempts.count
        assert cache.get("k") is None and attempts.count == tried  # open again after the failed probe


def test_breaker_lets_one_probe_through_and_closes_on_success():
    now = [0.0]
    breaker = CircuitBreaker(5, "test", clock=lambda: now[0])
    assert breaker.allows()
    breaker.failed(ConnectionError("down"))
    assert not breaker.allows()
    now[0] = 5.0
    assert breaker.allows()  # the probe
    assert not breaker.allows()  # everyone else keeps skipping while it runs
    breaker.succeeded()
    assert breaker.allows() and breaker.allows()


def test_redis_coming_back_is_used_again(prefix):
    """The same cache object: Redis down (breaker opens), then up (the probe closes it)."""
    config = {**cache_config(Settings(redis_url=REDIS_URL)), "CACHE_KEY_PREFIX": prefix}
    app, cache = app_with(config)
    with app.app_context():
        breaker = cache.cache.breaker
        now = [0.0]
        breaker._clock = lambda: now[0]
        breaker.failed(ConnectionError("pretend outage"))
        cache.set("k", "lost")  # skipped
        now[0] += 10
        cache.set("k", "kept")  # the probe succeeds
        assert cache.get("k") == "kept"
