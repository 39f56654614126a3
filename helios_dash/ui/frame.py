"""The frame every page shares: title, notices, copy-link button, view store."""
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
        dbc.Col(copy_link_button(page), width="auto", className="d-flex align-items-center"),
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


def loading(*children) -> dcc.Loading:
    """Show a spinner over ``children`` while their callback runs."""
    return dcc.Loading(list(children), type="default", delay_show=300)
