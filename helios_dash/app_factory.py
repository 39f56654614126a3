"""Wiring of one HELIOS process: store, demo data, cache, compression, security headers and the Dash pages."""
from __future__ import annotations

import logging
import dash

from . import extensions
from .ui import ids
from .jobs import install_heavy_gate
from .services.live import configure_token
from .security_headers import SecurityHeaders
from .settings import PROJECT_ROOT, Settings
from .static_compression import DynamicCompress, StaticCompression
from .static_files import serve_unknown_files_as_404, static_file_locator, warm_static_cache
from .store import open_store

log = logging.getLogger(__name__)


def build_app(settings: Settings) -> dash.Dash:
    """Open the store (seeding demo data into an empty one), then build the Dash app."""
    store = open_store(settings.database_url)
    if settings.demo_data:
        _seed_if_empty(store, settings.demo_validations)
    extensions.bind_store(store)
    configure_token(store.data_version, settings.poll_seconds)
    app = dash.Dash(
        "helios_dash",  # the package's name: Dash then imports pages as helios_dash.pages.*
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
    app.index_string = app.index_string.replace("<html>", '<html lang="en">', 1)  # screen readers pick the voice
    server = app.server
    server.config.update(SECRET_KEY=settings.secret_key, COMPRESS_ALGORITHM=["gzip"], COMPRESS_LEVEL=6,
                         MAX_CONTENT_LENGTH=settings.max_body_bytes,  # larger bodies get a 413 unread
                         STATIC_COMPRESSION_MAX_BYTES=settings.static_cache_bytes)
    install_heavy_gate(server, settings)
    extensions.cache.init_app(server, config=_cache_config(settings))
    from .api import init_api

    init_api(server)
    DynamicCompress(server)  # dynamic answers (callbacks), compressed per response
    compression = StaticCompression(server, locate=static_file_locator(app))  # static files, compressed once each
    serve_unknown_files_as_404(app)
    warm_static_cache(app, compression)
    SecurityHeaders(app)
    from .pages import _downloads  # noqa: F401 - registers the download callback
    from .pages._shell import shell  # imported here: its callbacks need the pages registered

    app.layout = shell(settings.poll_seconds)
    return app


def _seed_if_empty(store, validations: int) -> None:
    from .demo import seed_demo
    from .errors import Conflict

    try:
        result = seed_demo(store, validations=validations)
        log.info("Seeded demo data: %s validations", result.validations)
    except Conflict:
        pass  # the store already holds data: leave it alone


def _cache_config(settings: Settings) -> dict:
    config = {"CACHE_TYPE": settings.cache_type, "CACHE_DEFAULT_TIMEOUT": 300}
    if settings.cache_url:
        config["CACHE_REDIS_URL"] = settings.cache_url
    return config
