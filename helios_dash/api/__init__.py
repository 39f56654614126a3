"""The REST API (``/api/v1``): a Flask blueprint that never imports Dash."""
from .blueprint import api, init_api as _init_api
from .docs import init_docs
from . import audit as _audit  # noqa: F401,E402 - registers GET /api/v1/audit on the api blueprint
from . import hypotheses as _hypotheses  # noqa: F401,E402 - registers /hypotheses and /validators
from . import v1 as _v1  # noqa: F401,E402 - registers the read resources (domains, algorithms, ...)
from ..realtime import tickets as _tickets  # noqa: F401,E402 - registers POST /api/v1/stream/tickets
from . import openapi as _openapi  # noqa: F401,E402 - registers GET /api/v1/openapi.json

__all__ = ["api", "init_api"]


def init_api(server) -> None:
    """Mount the API (``blueprint.init_api``) and its documentation page, /api/docs."""
    _init_api(server)
    init_docs(server)
