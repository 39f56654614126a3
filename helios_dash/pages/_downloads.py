"""The "Download" menu of every page: the view on screen, exported in the chosen format.

Like ``_shell``, imported by ``create_app`` (Dash skips underscored page modules).
"""
from __future__ import annotations

import dash
from dash import ALL, Input, Output, State, ctx, dcc
from flask import request

from ..access.current import audit_export, current_principal
from ..errors import Busy, HeliosError
from ..filters import Filters
from ..jobs import heavy_gate
from ..jobs.exports import export_bounded
from ..reports.config import ExportRequest, parse_view_options
from ..reports.vocabulary import EXPORT_KINDS
from ..services.overview import read_period
from ..ui import ids
from ..ui.url import read_search


def export_page(page: str, fmt: str, view: dict | None) -> tuple[dict, str]:
    """The download of ``page``'s view in ``fmt`` (dcc.Download data), or an error message."""
    kind = EXPORT_KINDS[page]  # each page's export is the kind named after it
    filters, _ = Filters.from_query(view or {})
    if page == "overview":  # its period (``period=7d``) sets the dates, as on screen
        filters = read_period(view or {}, filters)[1]
    search = read_search(view or {})[0] or None  # the Leaderboard's quick search narrows its download too
    split, rolling = parse_view_options(view or {})  # Trends: the series and rolling mean on screen
    request = ExportRequest(fmt, kind.sections_for(fmt), filters, search=search, split=split, rolling=rolling)
    try:
        exported = export_bounded(request, kind.title, _base_url(), heavy_gate(), current_principal())
    except Busy as error:  # other reports are being made: say when to try again
        return dash.no_update, error.message
    except HeliosError as error:
        return dash.no_update, f"Export failed: {error.message}"
    audit_export(page, request)
    return dcc.send_bytes(exported.content, exported.filename, type=exported.media_type), ""


@dash.callback(
    Output({"type": ids.DOWNLOAD, "page": ALL}, "data"),
    Output({"type": ids.DOWNLOAD_STATUS, "page": ALL}, "children"),
    Input({"type": ids.DOWNLOAD_ITEM, "page": ALL, "format": ALL}, "n_clicks"),
    State({"type": ids.VIEW_STATE, "page": ALL}, "data"),
    prevent_initial_call=True,
)
def update_download(clicks, views):
    """Export the view of the page whose menu item was clicked."""
    trigger = ctx.triggered_id
    if not trigger or not any(clicks):
        return [dash.no_update] * len(views), [dash.no_update] * len(views)
    data, message = export_page(trigger["page"], trigger["format"], views[0] if views else None)
    return [data] * len(views), [message] * len(views)


def _base_url() -> str:
    try:
        return request.host_url
    except RuntimeError:  # called outside a request, e.g. in a test
        return "http://127.0.0.1:8050/"
