"""The frame every page shares: title, notices, download menu, copy-link button, view store."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from ..reports.vocabulary import EXPORT_FORMATS
from . import ids
from .chart_table import with_data_table


def page_frame(page: str, title: str, question: str, notices: list[str], view: dict, *children) -> html.Div:
    """A page: its heading, what it answers, URL notices, then its content.

    ``view`` is the page's state parsed from the URL (see ``url.query_dict``): the
    charts are computed from it, never from the controls directly, so the URL
    stays the one source of truth and back/forward simply re-render the page.
    """
    header = dbc.Row([
        dbc.Col([html.H1(title, className="h2 mb-0"), html.P(question, className="text-muted small mb-0")]),
        dbc.Col([download_menu(page), copy_link_button(page)], width="auto",
                className="d-flex align-items-center gap-2"),
    ], className="mb-3 align-items-center")
    alerts = [dbc.Alert(notice, color="warning", dismissable=True, className="py-2") for notice in notices]
    stores = [dcc.Store(id={"type": ids.VIEW_QUERY, "page": page}),
              dcc.Store(id={"type": ids.VIEW_STATE, "page": page}, data=view)]
    # The page is the document's one main landmark (the navbar is its navigation).
    return html.Main([header, *alerts, *stores, *children])


def copy_link_button(page: str) -> html.Button:
    """A "Copy link" button; the clipboard receives the page's current URL.

    A real button, so Tab reaches it and Enter or Space presses it; a press anywhere on it
    is passed to the clipboard icon inside (assets/a11y.js), which copies.
    """
    return html.Button([
        dcc.Clipboard(id={"type": ids.COPY_LINK, "page": page}, className="d-inline-block me-1"),
        html.Span("Copy link", className="small"),
    ], type="button", title="Copy a link to this view",
        className="helios-copy-link btn btn-outline-secondary btn-sm d-flex align-items-center")


def download_menu(page: str) -> html.Div:
    """A "Download" menu exporting the view on screen; a spinner shows while it is prepared."""
    items = [dbc.DropdownMenuItem(fmt.label, id={"type": ids.DOWNLOAD_ITEM, "page": page, "format": fmt.name})
             for fmt in EXPORT_FORMATS.values()]
    status = dcc.Loading(html.Div([
        dcc.Download(id={"type": ids.DOWNLOAD, "page": page}),
        html.Span(id={"type": ids.DOWNLOAD_STATUS, "page": page}, className="small text-danger"),
    ]), type="circle", delay_show=200)
    menu = dbc.DropdownMenu(items, label="Download", size="sm", color="secondary", align_end=True,
                            id={"type": ids.DOWNLOAD_MENU, "page": page})
    return html.Div([menu, status], className="d-flex align-items-center gap-1")


def loading(*children) -> dcc.Loading | html.Div:
    """Show a spinner over ``children`` while their callback runs.

    A lone chart also gets its text alternatives (``chart_table.with_data_table``): every
    page draws its charts through here, so none can be left without them.
    """
    spinner = dcc.Loading(list(children), type="default", delay_show=300)
    if len(children) == 1 and isinstance(children[0], dcc.Graph):
        return with_data_table(spinner)
    return spinner
