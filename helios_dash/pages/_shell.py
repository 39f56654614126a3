"""The frame around every page: navbar, live-update controls, URL sync.

Dash skips page modules whose name starts with an underscore, so this module
is imported by ``create_app`` instead of being registered as a page.
"""
from __future__ import annotations

import json
from datetime import datetime

import dash
import dash_bootstrap_components as dbc
from dash import ALL, ClientsideFunction, Input, Output, State, dcc, html

from ..access.current import current_principal
from ..domain.principal import Principal
from ..services.live import current_data_version
from ..ui import ids
from ..ui.url import SHARED_KEYS

PAGES_LOCATION = "_pages_location"  # the dcc.Location inside dash.page_container

NAV_ORDER = ["/", "/domains", "/trends", "/compare", "/leaderboard"]
THEME_TOGGLE = "theme-toggle"  # assets/theme.js names it too


def user_menu(principal: Principal) -> html.Div:
    """Who is signed in (a link to their account), admin links, and a sign-out form; or a sign-in link."""
    if not principal.signed_in:
        return html.Div(html.A("Sign in", href="/login", className="link-light small"), className="ms-3")
    admin = [html.A("Users", href="/admin/users", className="link-light small me-3"),
             html.A("Audit log", href="/admin/audit", className="link-light small me-3")] \
        if principal.has_role("admin") else []
    return html.Div([
        html.A(f"{principal.name or principal.email} ({principal.role})", href="/account", id=ids.USER_MENU,
               className="link-light small me-3 text-nowrap"),
        *admin,
        # A plain form: signing out works without the renderer, and the guard checks its Origin.
        html.Form(dbc.Button("Sign out", type="submit", color="outline-light", size="sm", id=ids.SIGN_OUT),
                  method="POST", action="/logout", className="m-0"),
    ], className="d-flex align-items-center ms-3")


def shell(poll_seconds: float) -> html.Div:
    """The app layout for the principal of this request: navbar with live controls and the
    user's menu, then the current page. A function, so each visitor's navbar is their own."""
    # Pages reached through links only (an algorithm's page, /algorithms/<id>) stay out of the navbar.
    listed = [p for p in dash.page_registry.values() if p["path"] in NAV_ORDER]
    pages = sorted(listed, key=lambda p: NAV_ORDER.index(p["path"]))
    links = [dbc.NavItem(dbc.NavLink(p["name"], href=p["relative_path"], active="exact",
                                     id={"type": ids.NAV_LINK, "page": p["path"]})) for p in pages]
    live = html.Div([
        # Its label is written by assets/theme.js, which knows the theme in force.
        dbc.Button("Dark mode", id=THEME_TOGGLE, color="outline-light", size="sm", className="me-3 text-nowrap",
                   title="Switch between light and dark; remembered in this browser"),
        html.Span(id=ids.LIVE_UPDATED, className="small text-light me-3"),
        dbc.Switch(id=ids.LIVE_PAUSE, label="Pause", value=False, className="text-light small mb-0"),
    ], className="d-flex align-items-center ms-auto")
    navbar = dbc.Navbar(dbc.Container([
        dbc.NavbarBrand("HELIOS Analytics", href="/"),
        dbc.NavbarToggler(id="navbar-toggler"),
        dbc.Collapse(dbc.Nav(links, navbar=True), id="navbar-collapse", navbar=True, is_open=False),
        live,
        user_menu(current_principal()),
    ], fluid=True), color="dark", dark=True, expand="lg", className="mb-3")
    return html.Div([
        navbar,
        dcc.Interval(id=ids.POLL, interval=int(poll_seconds * 1000)),
        dcc.Store(id=ids.DATA_VERSION),
        dcc.Store(id=ids.ROUTE_NONCE),
        dbc.Container(dash.page_container, fluid=True, className="pb-4"),
    ])


@dash.callback(
    Output(ids.DATA_VERSION, "data"),
    Output(ids.LIVE_UPDATED, "children"),
    Input(ids.POLL, "n_intervals"),
    State(ids.DATA_VERSION, "data"),
)
def update_data_version(_n_intervals, seen):
    """Publish the data version when it changed; pages refresh on that signal only."""
    version = current_data_version()
    if version == seen:
        return dash.no_update, dash.no_update
    return version, f"updated {datetime.now().strftime('%H:%M:%S')}"


dash.clientside_callback(
    "function(paused) { return Boolean(paused); }",
    Output(ids.POLL, "disabled"),
    Input(ids.LIVE_PAUSE, "value"),
)

# A function from assets/theme.js, not a string: it also sets the theme, before the page draws.
dash.clientside_callback(
    ClientsideFunction("helios_theme", "toggle"),
    Output(THEME_TOGGLE, "children"),
    Input(THEME_TOGGLE, "n_clicks"),
)

dash.clientside_callback(
    "function(n, isOpen) { return n ? !isOpen : isOpen; }",
    Output("navbar-collapse", "is_open"),
    Input("navbar-toggler", "n_clicks"),
    State("navbar-collapse", "is_open"),
)

# A page's controls publish the search string of the view they ask for. This
# pushes it onto the address bar and hands the parsed view to the page's charts
# (VIEW_STATE) without rendering the page again, so an open dropdown stays open.
# The navbar links carry the filters every page shares to the next page.
# Back/forward: Dash's router renders the page from the URL (see assets/helios.js).
# Controls write the view; nothing that follows from the view may write a control:
# Dash drops a callback met again in its own chain (view -> ... -> control -> this),
# so such a write would change the control but never the URL (issue 8, item 2).
dash.clientside_callback(
    """
    function(searches, locationSearch, linkIds) {
        const shared = %s;
        const pushed = (searches || []).find(s => typeof s === "string");
        const fromControls = pushed !== undefined &&
            JSON.stringify(window.dash_clientside.callback_context.triggered_id || "").includes("view-query");
        const search = fromControls ? pushed : (window.location.search || "");
        if (fromControls && window.location.search !== search) {
            window.history.pushState({}, "", window.location.pathname + search);
        }
        const view = {};
        const carried = new URLSearchParams();
        new URLSearchParams(search).forEach((value, key) => {
            (view[key] = view[key] || []).push(value);
            if (shared.includes(key)) { carried.append(key, value); }
        });
        const tail = carried.toString() ? "?" + carried.toString() : "";
        const views = (searches || []).map(() => fromControls ? view : window.dash_clientside.no_update);
        return [views, linkIds.map(id => id.page + tail)];
    }
    """ % json.dumps(list(SHARED_KEYS)),
    Output({"type": ids.VIEW_STATE, "page": ALL}, "data"),
    Output({"type": ids.NAV_LINK, "page": ALL}, "href"),
    Input({"type": ids.VIEW_QUERY, "page": ALL}, "data"),
    Input(PAGES_LOCATION, "search"),
    State({"type": ids.NAV_LINK, "page": ALL}, "id"),
)

dash.clientside_callback(
    "function(clicks) { return clicks.map(() => window.location.href); }",
    Output({"type": ids.COPY_LINK, "page": ALL}, "content"),
    Input({"type": ids.COPY_LINK, "page": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
