"""Serving: every file local, static files compressed once per file within a memory cap, unknown files 404."""
from __future__ import annotations

import gzip
import re
import threading
import uuid

import brotli
import pytest
from flask import Flask

from helios_dash.static_compression import StaticCompression

BROWSER = {"Accept-Encoding": "gzip, deflate, br"}


def script_paths(client) -> list[str]:
    html = client.get("/").get_data(as_text=True)
    return re.findall(r'<script src="([^"]+)"', html)


def compression_of(dash_app) -> StaticCompression:
    return dash_app.server.extensions["static_compression"]


def component_script(dash_app, name: str) -> str:
    """The URL of a component-suite script the index page loads, without its query string."""
    paths = script_paths(dash_app.server.test_client())
    return next(p for p in paths if p.startswith("/_dash-component-suites/") and name in p).split("?")[0]


def script_text(seed: int, lines: int = 20_000) -> bytes:
    """Half a megabyte of JavaScript that compresses well but not trivially."""
    return "".join(f"var v{seed}_{i} = {i * 7919 % 10007};\n" for i in range(lines)).encode()


def static_app(tmp_path, files: dict[str, bytes], **config) -> Flask:
    """A plain Flask app serving ``files`` under /assets/, with static compression."""
    folder = tmp_path / "assets"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    app = Flask(__name__, static_folder=str(folder), static_url_path="/assets")
    app.config.update(config)
    StaticCompression(app)
    return app


def test_index_references_no_remote_resources(dash_app):
    html = dash_app.server.test_client().get("/").get_data(as_text=True)
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "00-bootstrap-5.3.8.min.css" in html  # Bootstrap from assets/, not a CDN


def test_scripts_are_compressed_once_and_cached(dash_app):
    client, compression = dash_app.server.test_client(), compression_of(dash_app)
    path = component_script(dash_app, "dash_bootstrap_components")
    plain = client.get(path, headers={"Accept-Encoding": "identity"}).get_data()
    client.get(path, headers=BROWSER)
    compression.join()  # the first answer may come before its compressed copy is ready
    first = client.get(path, headers=BROWSER)
    assert first.headers["Content-Encoding"] == "br" and "Accept-Encoding" in first.vary
    assert brotli.decompress(first.get_data()) == plain
    done = compression.compressions
    again = client.get(path, headers={"Accept-Encoding": "gzip, br"})
    assert again.get_data() == first.get_data() and compression.compressions == done
    client.get(path, headers={"Accept-Encoding": "gzip"})
    compression.join()
    assert gzip.decompress(client.get(path, headers={"Accept-Encoding": "gzip"}).get_data()) == plain


def test_random_query_strings_add_no_compressions_or_cache_entries(dash_app):
    client, compression = dash_app.server.test_client(), compression_of(dash_app)
    path = component_script(dash_app, "dash_ag_grid")
    client.get(path, headers=BROWSER)
    compression.join()
    compressions, entries, cached = compression.compressions, len(compression), compression.cached_bytes
    for _ in range(20):
        response = client.get(f"{path}?x={uuid.uuid4().hex}", headers=BROWSER)
        assert response.status_code == 200 and response.headers["Content-Encoding"] == "br"
    compression.join()
    assert (compression.compressions, len(compression), compression.cached_bytes) == (compressions, entries, cached)


def test_concurrent_requests_compress_a_file_once(tmp_path):
    data = script_text(1)
    app = static_app(tmp_path, {"big.js": data})
    compression = app.extensions["static_compression"]
    barrier = threading.Barrier(8)
    statuses = []

    def fetch(n: int) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.get(f"/assets/big.js?n={n}", headers=BROWSER)
        body = response.get_data()
        statuses.append(brotli.decompress(body) if response.headers.get("Content-Encoding") == "br" else body)

    threads = [threading.Thread(target=fetch, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    compression.join()
    assert statuses == [data] * 8  # each got the file, compressed or not
    assert compression.compressions == 1 and len(compression) == 1
    answer = app.test_client().get("/assets/big.js", headers=BROWSER)
    assert answer.headers["Content-Encoding"] == "br" and brotli.decompress(answer.get_data()) == data


def test_the_cache_never_grows_past_its_cap(tmp_path):
    files = {f"{name}.js": script_text(seed) for seed, name in enumerate("abc")}
    size = len(brotli.compress(files["a.js"], quality=11))
    cap = size + size // 2  # room for one compressed file, not two
    app = static_app(tmp_path, files, STATIC_COMPRESSION_MAX_BYTES=cap)
    compression, client = app.extensions["static_compression"], app.test_client()
    for name in files:
        client.get(f"/assets/{name}", headers=BROWSER)
        compression.join()
    compressions = compression.compressions
    answers = {name: client.get(f"/assets/{name}", headers=BROWSER) for name in files}
    compression.join()
    assert compression.max_bytes == cap and 0 < compression.cached_bytes <= cap
    assert answers["a.js"].headers["Content-Encoding"] == "br"
    for name in ("b.js", "c.js"):  # past the cap: served as they are, and not compressed again
        assert "Content-Encoding" not in answers[name].headers and "Accept-Encoding" in answers[name].vary
        assert answers[name].get_data() == files[name]
    assert compression.compressions == compressions


def test_only_real_static_files_are_compressed(tmp_path):
    app = static_app(tmp_path, {"real.js": script_text(2)})
    generated = script_text(3)
    app.add_url_rule("/assets/generated.js", "generated", lambda: (generated, {"Content-Type": "text/javascript"}))
    compression, client = app.extensions["static_compression"], app.test_client()
    for _ in range(2):
        answer = client.get("/assets/generated.js", headers=BROWSER)
        compression.join()
    assert "Content-Encoding" not in answer.headers and answer.get_data() == generated
    assert compression.compressions == 0 and len(compression) == 0


def test_callback_answers_are_not_served_from_the_static_cache(dash_app):
    client = dash_app.server.test_client()
    response = client.post("/_dash-update-component", json={}, headers={"Accept-Encoding": "br"})
    assert response.headers.get("Content-Encoding") != "br"


@pytest.mark.parametrize("path", [
    "/_dash-component-suites/dash/no-such-file.js",
    "/_dash-component-suites/no_such_package/x.js",
    "/_dash-component-suites/dash/../../etc/passwd",
    "/_dash-component-suites/dash/deps/..%2F..%2F..%2Fetc%2Fpasswd",
    "/_dash-component-suites/dash/dash-renderer/build/dash_renderer.min.js.map",  # registered, not shipped
    "/assets/no-such-file.css",
    "/assets/../app.py",
])
def test_unknown_static_files_are_404(dash_app, path):
    response = dash_app.server.test_client().get(path, headers=BROWSER)
    assert response.status_code == 404
    assert "registered" not in response.get_data(as_text=True)  # no list of the server's files


def test_every_component_script_is_compressed_before_its_first_request(dash_app):
    """Browsers keep Dash's files a year: the first visitor must not get the uncompressed ones."""
    client = dash_app.server.test_client()
    client.get("/")  # the first request queues every component file
    compression_of(dash_app).join()
    scripts = [f"/_dash-component-suites/{package}/{path}" for package, paths in dash_app.registered_paths.items()
               for path in paths if path.endswith(".js")]
    assert len(scripts) > 10
    for url in scripts:
        response = client.get(url, headers={"Accept-Encoding": "br"})
        if len(response.get_data()) >= 500:  # smaller files are not worth compressing
            assert response.headers.get("Content-Encoding") == "br", url


def test_a_stopped_worker_is_replaced(tmp_path):
    """dash's test runner ends every thread a browser test started: a lost worker must not stall compression."""
    app = static_app(tmp_path, {"a.js": script_text(1)})
    compression = app.extensions["static_compression"]
    first = compression._worker
    assert first.is_alive()  # started with the app, before any request
    compression.stop_worker()
    first.join(10)
    assert not first.is_alive()
    client = app.test_client()
    client.get("/assets/a.js", headers=BROWSER)
    done = threading.Thread(target=compression.join, daemon=True)
    done.start()
    done.join(30)
    assert not done.is_alive(), "queued work waited for a worker that no longer exists"
    assert client.get("/assets/a.js", headers=BROWSER).headers.get("Content-Encoding") == "br"
