"""One HELIOS process's shared handles, built once by ``create_runtime(settings)``.

The runtime holds the store, the data-version token, the event bus, the chart
renderer and the job runner; the Flask app keeps it on ``app.extensions`` and
services reach it through ``current_runtime()``. Nothing here is a module
global, so a test, the command line and a server can each build their own.

Embedded (no ``HELIOS_REDIS_URL``): bus, jobs and cache live in this process.
Scale-out: they live in Redis, shared by every worker and host.
"""
from __future__ import annotations

import atexit
import logging
from dataclasses import dataclass, field

from flask import Flask, current_app, has_app_context
from flask_caching import Cache

from .cache_backend import cache_config
from .errors import StoreError
from .exports.charts import ChartRenderer
from .jobs.runner import make_jobs
from .realtime.bus import make_bus
from .research.job import attach as attach_research_jobs  # importing it registers the "research" job
from .services.live import TickCache
from .settings import Settings
from .store import Store, open_store

log = logging.getLogger(__name__)

RUNTIME_KEY = "helios.runtime"
DATA_CHANGED = "data.changed"  # published after every committed write, with the new data version

# The flask-caching extension object, bound to each app by ``init_app`` (the flaskr
# pattern): it holds no state of its own, every app keeps its backend.
cache = Cache()


@dataclass
class Runtime:
    """The store, token, bus, renderer and jobs of one process; see the module docstring."""

    settings: Settings
    store: Store
    token: TickCache
    bus: object  # realtime.bus.InProcessBus or RedisBus: publish(event, payload), subscribe(callback)
    jobs: object  # jobs.runner.InProcessJobs or RedisJobs: submit(name, **kwargs), status(job_id)
    renderer: ChartRenderer = field(default_factory=ChartRenderer)

    def close(self) -> None:
        """Stop the renderer, the bus and the jobs, and close the store (end of a command or a test)."""
        self.renderer.close()
        self.bus.close()
        self.jobs.close()
        self.store.close()


def create_runtime(settings: Settings) -> Runtime:
    """Open the store and build the process's shared handles; never seeds demo data."""
    store = open_store(settings.database_url, statement_timeout=settings.statement_timeout,
                       slow_seconds=settings.slow_query_ms / 1000)
    token = TickCache(store.data_version, settings.poll_seconds)
    bus = make_bus(settings.redis_url)
    runtime = Runtime(settings=settings, store=store, token=token, bus=bus, jobs=make_jobs(settings.redis_url))
    store.add_commit_listener(lambda version: bus.publish(DATA_CHANGED, {"version": version}))
    # A write anywhere (another worker or host, through Redis) makes the next poll read the token
    # afresh instead of waiting for its tick: new data shows at the first poll after the write.
    bus.subscribe(lambda event, _payload: token.invalidate() if event == DATA_CHANGED else None)
    atexit.register(runtime.renderer.close)  # no Chromium outlives the process
    attach_research_jobs(runtime)  # research jobs of this store run on this runtime (a worker's too)
    return runtime


def seed_demo_if_empty(runtime: Runtime) -> None:
    """Fill an empty store with the demo data set (a server started in demo mode)."""
    from .demo import seed_demo
    from .errors import Conflict

    try:
        result = seed_demo(runtime.store, validations=runtime.settings.demo_validations)
        log.info("Seeded demo data: %s validations", result.validations)
    except Conflict:
        pass  # the store already holds data: leave it alone


def init_app(server: Flask, runtime: Runtime) -> None:
    """Keep ``runtime`` on ``server`` and bind the cache to it."""
    server.extensions[RUNTIME_KEY] = runtime
    cache.init_app(server, config=cache_config(runtime.settings))


def current_runtime() -> Runtime:
    """The runtime of the app handling this request or command."""
    if not has_app_context() or RUNTIME_KEY not in current_app.extensions:
        raise StoreError("No HELIOS runtime here: build the app with create_app() or create_server().")
    return current_app.extensions[RUNTIME_KEY]


def get_store() -> Store:
    """The current runtime's store; services call this rather than opening their own."""
    return current_runtime().store

