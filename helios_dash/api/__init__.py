"""The REST API (``/api/v1``): a Flask blueprint that never imports Dash."""
from .blueprint import api, init_api
from . import audit as _audit  # noqa: F401,E402 - registers GET /api/v1/audit on the api blueprint
from . import hypotheses as _hypotheses  # noqa: F401,E402 - registers /hypotheses and /validators
from . import v1 as _v1  # noqa: F401,E402 - registers the read resources (domains, algorithms, ...)

__all__ = ["api", "init_api"]
