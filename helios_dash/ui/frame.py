"""The frame every page shares: title, notices, download menu, copy-link button, view store."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from . import ids


def page_frame(page: str, title: str, question: str, notices: list[str], view: dict, *children) -> html.Div:
    """A page: its heading, what it answers, URL notices, then its content.

    ``view`` is the page's state parsed from the URL (see ``url.query_dict``): the
    charts are computed from it, never from the controls directly, so the URL
    stays the one source of truth and back/forward simply re-render the page.
    """
    header = dbc.Row([
        dbc.Col([html.H2(title, className="mb-0"), html.P(question, className="text-muted small mb-0")]),
        dbc.Col([download_menu(page), copy_link_button(page)], width="auto",
                className="d-flex align-items-center gap-2"),
    ], className="mb-3 align-items-center")
    alerts = [dbc.Alert(notice, color="warning", dismissable=True, className="py-2") for notice in notices]
    stores = [dcc.Store(id={"type": ids.VIEW_QUERY, "page": page}),
              dcc.Store(id={"type": ids.VIEW_STATE, "page": page}, data=view)]
    return html.Div([header, *alerts, *stores, *children])


def copy_link_button(page: str) -> html.Div:
    """A "Copy link" button; the clipboard receives the page's current URL."""
    return html.Div([
        dcc.Clipboard(id={"type": ids.COPY_LINK, "page": page}, title="Copy a link to this view",
                      className="d-inline-block me-1"),
        html.Span("Copy link", className="small text-muted"),
    ], className="btn btn-outline-secondary btn-sm d-flex align-items-center")


EXPORT_FORMATS = (("csv", "CSV (main table)"), ("xlsx", "Excel workbook"), ("json", "JSON"),
                  ("pdf", "PDF report with charts"))


def download_menu(page: str) -> html.Div:
    """A "Download" menu exporting the view on screen; a spinner shows while it is prepared."""
    items = [dbc.DropdownMenuItem(label, id={"type": ids.DOWNLOAD_ITEM, "page": page, "format": fmt})
             for fmt, label in EXPORT_FORMATS]
    status = dcc.Loading(html.Div([
        dcc.Download(id={"type": ids.DOWNLOAD, "page": page}),
        html.Span(id={"type": ids.DOWNLOAD_STATUS, "page": page}, className="small text-danger"),
    ]), type="circle", delay_show=200)
    menu = dbc.DropdownMenu(items, label="Download", size="sm", color="secondary", align_end=True,
                            id={"type": ids.DOWNLOAD_MENU, "page": page})
    return html.Div([menu, status], className="d-flex align-items-center gap-1")


def loading(*children) -> dcc.Loading:
    """Show a spinner over ``children`` while their callback runs."""
    return dcc.Loading(list(children), type="default", delay_show=300)
