"""Wiring of one HELIOS process: store, demo data, cache and the Dash pages."""
from __future__ import annotations

import logging
from pathlib import Path

import dash
import dash_bootstrap_components as dbc

from . import extensions
from .settings import PROJECT_ROOT, Settings
from .store import open_store

log = logging.getLogger(__name__)
PAGES_FOLDER = Path(__file__).parent / "pages"


def build_app(settings: Settings) -> dash.Dash:
    """Open the store (seeding demo data into an empty one), then build the Dash app."""
    store = open_store(settings.database_url)
    if settings.demo_data:
        _seed_if_empty(store, settings.demo_validations)
    extensions.bind_store(store)
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder=str(PAGES_FOLDER),
        assets_folder=str(PROJECT_ROOT / "assets"),
        serve_locally=True,  # every script from this server: the dashboard works offline
        title="HELIOS Analytics",
        suppress_callback_exceptions=True,
    )
    app.server.config.update(SECRET_KEY=settings.secret_key)
    extensions.cache.init_app(app.server, config=_cache_config(settings))
    app.layout = _shell()
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


def _shell():
    navbar = dbc.NavbarSimple(
        brand="HELIOS Analytics",
        children=[dbc.NavLink(page["name"], href=page["relative_path"], active="exact")
                  for page in dash.page_registry.values()],
        color="dark", dark=True, className="mb-3",
    )
    return dash.html.Div([navbar, dbc.Container(dash.page_container, fluid=True)])
