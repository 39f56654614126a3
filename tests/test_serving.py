"""Serving: every file local, static files compressed once and then served from cache."""
from __future__ import annotations

import gzip
import re

import brotli


def script_paths(client) -> list[str]:
    html = client.get("/").get_data(as_text=True)
    return re.findall(r'<script src="([^"]+)"', html)


def test_index_references_no_remote_resources(dash_app):
    html = dash_app.server.test_client().get("/").get_data(as_text=True)
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "00-bootstrap-5.3.8.min.css" in html  # Bootstrap from assets/, not a CDN


def test_scripts_are_compressed_once_and_cached(dash_app):
    client = dash_app.server.test_client()
    compression = next(f.__self__ for f in dash_app.server.after_request_funcs[None]
                       if type(getattr(f, "__self__", None)).__name__ == "StaticCompression")
    paths = [p for p in script_paths(client) if p.startswith("/_dash-component-suites/")]
    assert paths
    first = client.get(paths[0], headers={"Accept-Encoding": "gzip, deflate, br"})
    plain = client.get(paths[0], headers={"Accept-Encoding": "identity"}).get_data()
    assert first.headers["Content-Encoding"] == "br"
    assert brotli.decompress(first.get_data()) == plain
    done = compression.compressions
    again = client.get(paths[0], headers={"Accept-Encoding": "gzip, br"})
    assert again.get_data() == first.get_data() and compression.compressions == done
    zipped = client.get(paths[0], headers={"Accept-Encoding": "gzip"})
    assert gzip.decompress(zipped.get_data()) == plain


def test_callback_answers_are_not_served_from_the_static_cache(dash_app):
    client = dash_app.server.test_client()
    response = client.post("/_dash-update-component", json={}, headers={"Accept-Encoding": "br"})
    assert response.headers.get("Content-Encoding") != "br"
