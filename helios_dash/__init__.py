"""HELIOS Analytics: a Dash dashboard over HELIOS validation data."""
from __future__ import annotations


def create_app(settings=None):
    """Build the Dash app: the only place where store, cache and pages are wired."""
    from .app_factory import build_app
    from .settings import Settings

    return build_app(settings or Settings.from_env())
