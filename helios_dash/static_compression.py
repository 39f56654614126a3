"""Compress static files (Dash's scripts, ``assets/``) once per file, then serve the cached bytes.

flask-compress can cache, but keys its cache by URL for every response,
including POSTed callback answers that share one URL; so static files get
this cache of their own and flask-compress handles dynamic answers only.

Bounded three ways, so no request can make the server work or grow:
- the cache is keyed by the file on disk, never by the URL (``?x=random`` adds nothing);
- one background thread compresses each file once per encoding (brotli 11 of
  Dash AG Grid takes seconds of CPU); until it is done the file goes out as it is;
- the compressed copies fit in ``max_bytes``; a file that does not fit is served as it is.
"""
from __future__ import annotations

import gzip
import itertools
import logging
import os
import queue
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import brotli
from flask import Flask, Response, current_app, request
from flask_compress import Compress
from werkzeug.security import safe_join

log = logging.getLogger(__name__)
STATIC_PREFIXES = ("/_dash-component-suites/", "/assets/")
COMPRESSIBLE = {"application/javascript", "text/javascript", "text/css", "application/json", "image/svg+xml"}
MIN_BYTES = 500
# Every script Dash and its components ship is ~3.5 MiB as brotli and ~4.5 MiB as gzip:
# 32 MiB holds both with room to spare, and is what a bad day can cost at most.
DEFAULT_MAX_BYTES = 32 * 1024 * 1024
MAX_BYTES_CONFIG = "STATIC_COMPRESSION_MAX_BYTES"
REQUESTED, WARM_UP = 0, 1  # queue priorities: lower goes first

Locator = Callable[[], Path | None]


def flask_static_file() -> Path | None:
    """The file the current request's Flask static route (app or blueprint) serves, if it exists."""
    endpoint = request.endpoint or ""
    if not (endpoint == "static" or endpoint.endswith(".static")) or request.view_args is None:
        return None
    blueprint = current_app.blueprints.get(request.blueprint) if request.blueprint else None
    folder = (blueprint or current_app).static_folder
    found = safe_join(folder, request.view_args.get("filename", "")) if folder else None
    return Path(found) if found and os.path.isfile(found) else None


@dataclass(frozen=True)
class _Copy:
    body: bytes
    version: tuple[int, int]  # the file's (mtime, size) when it was compressed


class StaticCompression:
    """An ``after_request`` hook serving static files from a bounded cache of compressed copies."""

    def __init__(self, app: Flask | None = None, locate: Locator = flask_static_file):
        self._locate = locate
        self._copies: dict[tuple[Path, str], _Copy] = {}
        self._settled: set[tuple[Path, str, tuple[int, int]]] = set()  # compressed or tried: never again
        self._waiting: dict[tuple[Path, str, tuple[int, int]], int] = {}  # queued, not yet taken: its priority
        self._lock = threading.Lock()
        # Files a browser asked for go before the warm-up's (which queues every component file).
        self._queue: queue.PriorityQueue = queue.PriorityQueue()
        self._order = itertools.count()  # ties keep their order; items themselves are never compared
        self._worker: threading.Thread | None = None
        self.max_bytes = DEFAULT_MAX_BYTES
        self.cached_bytes = 0
        self.compressions = 0  # how many times a file was actually compressed
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        self.max_bytes = int(app.config.get(MAX_BYTES_CONFIG, DEFAULT_MAX_BYTES))
        app.extensions["static_compression"] = self
        app.after_request(self.after_request)
        # Started now, with the app: a thread started later by a request is stopped by dash's
        # test runner (it ends every thread a browser test started), and is restarted on demand.
        with self._lock:
            self._start_worker()

    def stop_worker(self) -> None:
        """Let the worker finish what is queued, then end (a later request starts another)."""
        self._queue.put((WARM_UP + 1, next(self._order), None))  # after everything queued

    def __len__(self) -> int:
        return len(self._copies)

    def join(self) -> None:
        """Wait until every compression asked for so far is done (for tests and warm-ups)."""
        with self._lock:
            self._start_worker()  # the queue may hold work of a worker that was stopped
        self._queue.join()

    def after_request(self, response: Response) -> Response:
        if not _is_static(response):
            return response
        path = self._locate()
        if path is None:
            return response
        response.vary.add("Accept-Encoding")
        encoding = _preferred_encoding(request.headers.get("Accept-Encoding", ""))
        body = self._cached(path, encoding) if encoding else None
        if body is not None:
            response.direct_passthrough = False
            response.set_data(body)
            response.headers["Content-Encoding"] = encoding
        return response

    def prepare(self, path: Path, encoding: str) -> None:
        """Ask for a compressed copy of ``path`` ahead of any request for it (after requested files)."""
        self._cached(path, encoding, WARM_UP)

    def _cached(self, path: Path, encoding: str, priority: int = REQUESTED) -> bytes | None:
        """The compressed copy of ``path``, or None after asking for one (at most once per file version)."""
        try:
            stat = path.stat()
        except OSError:
            return None
        version, key = (stat.st_mtime_ns, stat.st_size), (path, encoding)
        with self._lock:
            copy = self._copies.get(key)
            if copy is not None and copy.version == version:
                return copy.body
            item = (path, encoding, version)
            promoted = priority < self._waiting.get(item, priority)  # asked for while the warm-up waits
            if stat.st_size < MIN_BYTES or (item in self._settled and not promoted):
                return None
            self._settled.add(item)
            self._waiting[item] = priority
            self._start_worker()
        self._queue.put((priority, next(self._order), item))
        return None

    def _start_worker(self) -> None:
        # Started on first use, in the serving process (a thread would not survive gunicorn's fork);
        # started again if it was stopped (dash's test runner stops every thread a test started).
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._work, name="static-compression", daemon=True)
            self._worker.start()

    def _work(self) -> None:
        while True:
            _, _, item = self._queue.get()
            if item is None:
                self._queue.task_done()
                return
            path, encoding, version = item
            try:
                with self._lock:
                    taken = self._waiting.pop(item, None) is not None  # None: a promoted copy went first
                if taken:
                    self._compress(path, encoding, version)
            except Exception:  # the file vanished, say: it goes out uncompressed, and the worker lives on
                log.warning("Could not compress %s", path, exc_info=True)
            finally:
                self._queue.task_done()

    def _compress(self, path: Path, encoding: str, version: tuple[int, int]) -> None:
        raw = path.read_bytes()
        body = brotli.compress(raw, quality=11) if encoding == "br" else gzip.compress(raw, 9)
        with self._lock:
            self.compressions += 1
            old = self._copies.pop((path, encoding), None)
            self.cached_bytes -= len(old.body) if old else 0
            if self.cached_bytes + len(body) <= self.max_bytes:
                self._copies[(path, encoding)] = _Copy(body, version)
                self.cached_bytes += len(body)


class DynamicCompress(Compress):
    """flask-compress for dynamic answers only: static files are StaticCompression's, cached or sent as they are."""

    def after_request(self, response: Response) -> Response:
        if request.path.startswith(STATIC_PREFIXES):
            return response
        return super().after_request(response)


def _is_static(response: Response) -> bool:
    return (
        request.method == "GET"
        and response.status_code == 200
        and response.mimetype in COMPRESSIBLE
        and "Content-Encoding" not in response.headers
    )


def _preferred_encoding(accept_encoding: str) -> str | None:
    offered = {part.split(";")[0].strip() for part in accept_encoding.lower().split(",")}
    return "br" if "br" in offered else "gzip" if "gzip" in offered else None
