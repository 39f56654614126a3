"""Process-wide handles bound once by ``create_app``: the store and the cache."""
from __future__ import annotations

from flask_caching import Cache

from .errors import StoreError

cache = Cache()
_store = None


def bind_store(store) -> None:
    """Make ``store`` the one services read from (called by ``create_app``)."""
    global _store
    _store = store


def get_store():
    """The bound store; services call this rather than opening their own."""
    if _store is None:
        raise StoreError("The analytics store is not open; build the app with create_app().")
    return _store
