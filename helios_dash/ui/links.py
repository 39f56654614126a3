"""Links to an algorithm's page (/algorithms/<id>) that keep the view's shared filters."""
from __future__ import annotations

from urllib.parse import quote, urlencode

from ..filters import Filters
from .url import SHARED_KEYS

ALGORITHM_PATH = "/algorithms/"


def algorithm_href(algorithm_id: str, filters: Filters | None = None) -> str:
    """``/algorithms/<id>?start=...``: relative, with the filters every page shares (domain, type, dates, tz)."""
    shared = [(key, value) for key, value in (filters or Filters()).to_query() if key in SHARED_KEYS]
    search = "?" + urlencode(shared, safe=",:/") if shared else ""  # as ui.url.view_search writes it
    return ALGORITHM_PATH + quote(str(algorithm_id), safe="") + search


def algorithm_link(algorithm_id: str, name: str, filters: Filters | None = None, **props):
    """The algorithm's name as a ``dcc.Link`` to its page (no reload of the dashboard)."""
    from dash import dcc  # here: exports build links too (algorithm_href) and never need Dash

    return dcc.Link(name, href=algorithm_href(algorithm_id, filters), **props)
