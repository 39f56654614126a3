"""The REST API (``/api/v1``): a Flask blueprint that never imports Dash."""
from .blueprint import api, init_api

__all__ = ["api", "init_api"]
