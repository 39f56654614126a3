"""HELIOS Analytics: a Dash dashboard over HELIOS validation data."""
from __future__ import annotations


def create_app(settings=None):
    """The whole dashboard (Dash on the server of ``create_server``); demo data seeded in demo mode."""
    from .app_factory import build_app
    from .settings import Settings

    return build_app(settings or Settings.from_env())


def create_server(settings=None, runtime=None):
    """A Flask app with the runtime and the API, without Dash: for the command line and API tests.

    Never seeds demo data. Pass ``runtime`` to share one already built.
    """
    from .app_factory import build_server
    from .runtime import create_runtime
    from .settings import Settings

    return build_server(runtime or create_runtime(settings or Settings.from_env()))
