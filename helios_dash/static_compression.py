"""Compress static files (Dash's scripts, ``assets/``) once, then serve the cached bytes.

flask-compress can cache, but keys its cache by URL for every response,
including POSTed callback answers that share one URL; so static files get
this small cache of their own and flask-compress handles dynamic answers.
"""
from __future__ import annotations

import gzip
import threading

import brotli
from flask import Flask, Response, request

STATIC_PREFIXES = ("/_dash-component-suites/", "/assets/")
COMPRESSIBLE = {"application/javascript", "text/javascript", "text/css", "application/json", "image/svg+xml"}
MIN_BYTES = 500


class StaticCompression:
    """An ``after_request`` hook with a cache of compressed static files."""

    def __init__(self, app: Flask | None = None):
        self._cache: dict[tuple[str, str, str], bytes] = {}
        self._lock = threading.Lock()
        self.compressions = 0  # how many times a file was actually compressed
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        app.after_request(self.after_request)

    def after_request(self, response: Response) -> Response:
        encoding = _preferred_encoding(request.headers.get("Accept-Encoding", ""))
        if not (encoding and _is_static(response)):
            return response
        key = (request.path, request.query_string.decode(), encoding)
        with self._lock:
            body = self._cache.get(key)
        if body is None:
            response.direct_passthrough = False
            raw = response.get_data()
            if len(raw) < MIN_BYTES:
                return response
            body = brotli.compress(raw, quality=11) if encoding == "br" else gzip.compress(raw, 9)
            with self._lock:
                self._cache[key] = body
                self.compressions += 1
        response.direct_passthrough = False
        response.set_data(body)
        response.headers["Content-Encoding"] = encoding
        response.headers["Content-Length"] = str(len(body))
        response.vary.add("Accept-Encoding")
        return response


def _is_static(response: Response) -> bool:
    return (
        request.method == "GET"
        and request.path.startswith(STATIC_PREFIXES)
        and response.status_code == 200
        and response.mimetype in COMPRESSIBLE
        and "Content-Encoding" not in response.headers
    )


def _preferred_encoding(accept_encoding: str) -> str | None:
    offered = {part.split(";")[0].strip() for part in accept_encoding.lower().split(",")}
    return "br" if "br" in offered else "gzip" if "gzip" in offered else None
