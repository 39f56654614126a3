"""Wiring of one HELIOS process: the runtime, the Flask server with its API, then the Dash pages on it."""
from __future__ import annotations

import functools

import dash
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import runtime as runtime_module
from .access import check_ready_to_serve, init_access
from .access.guard import DASH_KEY
from .api import init_api
from .jobs import install_heavy_gate
from .ops.health import init_health
from .ops.logs import init_request_logging
from .ops.metrics_view import init_metrics
from .runtime import Runtime, create_runtime, seed_demo_if_empty
from .settings import PROJECT_ROOT, Settings
from .ui import ids
from .webhooks.running import SENDER_KEY, start_sender


def build_server(runtime: Runtime) -> Flask:
    """A Flask app holding ``runtime`` and serving the API: no Dash (the command line and API tests use it)."""
    settings = runtime.settings
    server = Flask("helios_dash")
    if settings.proxy_hops:
        # Behind a reverse proxy, the client's address (rate limits, the audit log), scheme and host
        # (the Origin check) come from its X-Forwarded-* headers, trusted for that many hops only.
        n = settings.proxy_hops
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=n, x_proto=n, x_host=n)
    server.config.update(SECRET_KEY=settings.secret_key,
                         MAX_CONTENT_LENGTH=settings.max_body_bytes)  # larger bodies get a 413 unread
    init_request_logging(server)  # first: its after_request hook runs last, so it logs the final status
    runtime_module.init_app(server, runtime)
    init_health(server)
    init_metrics(server)  # GET /metrics, and every request timed by its route template
    install_heavy_gate(server, settings)
    init_api(server)
    init_access(server, settings)  # after the API: the limiter puts its limits on the API's routes
    from .realtime.ws import init_stream
    init_stream(server)  # WebSocket /stream and /ws/leaderboard (after the guard, which runs first for them too)
    return server


def build_app(settings: Settings) -> dash.Dash:
    """Build the runtime (seeding demo data into an empty store in demo mode), the server, then the pages."""
    runtime = create_runtime(settings)
    if settings.demo_data:
        seed_demo_if_empty(runtime)
    check_ready_to_serve(settings, runtime.store)
    server = build_server(runtime)
    server.extensions[SENDER_KEY] = start_sender(runtime)  # webhooks: the outbox is sent from served processes
    return build_dash(server)


def build_dash(server: Flask) -> dash.Dash:
    """The Dash pages, compression and security headers on ``server``."""
    from .security_headers import SecurityHeaders
    from .static_compression import DynamicCompress, StaticCompression
    from .static_files import serve_unknown_files_as_404, static_file_locator, warm_static_cache

    settings = server.extensions[runtime_module.RUNTIME_KEY].settings
    app = dash.Dash(
        "helios_dash",  # the package's name: Dash then imports pages as helios_dash.pages.*
        server=server,
        use_pages=True,
        pages_folder="pages",
        assets_folder=str(PROJECT_ROOT / "assets"),
        serve_locally=True,  # every script from this server: the dashboard works offline
        title="HELIOS Analytics",
        suppress_callback_exceptions=True,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
        # Controls push the URL without the router; back/forward ask it to render (assets/helios.js).
        routing_callback_inputs={"_route": dash.Input(ids.ROUTE_NONCE, "data")},
    )
    server.extensions[DASH_KEY] = app  # the guard reads callback rules through it
    # Dash learns its callbacks, inline scripts and Pages' router callback in first-request hooks.
    # They must run before the guard, which may answer a request itself (a redirect to /login)
    # and needs every callback registered to find its rule; they serve nothing themselves.
    hooks = server.before_request_funcs[None]
    dash_hooks = [hook for hook in hooks if getattr(hook, "__module__", "").split(".")[0] == "dash"]
    server.before_request_funcs[None] = dash_hooks + [hook for hook in hooks if hook not in dash_hooks]
    app.index_string = app.index_string.replace("<html>", '<html lang="en">', 1)  # screen readers pick the voice
    server.config.update(COMPRESS_ALGORITHM=["gzip"], COMPRESS_LEVEL=6,
                         STATIC_COMPRESSION_MAX_BYTES=settings.static_cache_bytes)
    DynamicCompress(server)  # dynamic answers (callbacks), compressed per response
    compression = StaticCompression(server, locate=static_file_locator(app))  # static files, compressed once each
    serve_unknown_files_as_404(app)
    warm_static_cache(app, compression)
    SecurityHeaders(app)
    from .pages import _downloads  # noqa: F401 - registers the download callback
    from .pages._shell import shell  # imported here: its callbacks need the pages registered

    app.layout = functools.partial(shell, settings.poll_seconds)  # per request: the navbar names the user
    return app
