"""The access table: every route and every Dash callback, and the rule it answers to.

One question, as Datasette asks it: ``decide(principal, rule)`` returns None (allowed),
UNAUTHENTICATED or FORBIDDEN. The guard asks it for every request; the access-matrix
test enumerates every Flask URL rule and Dash callback and fails for one missing here.
A route or callback not in the table is refused (fail closed), never let through.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..domain.principal import Principal

UNAUTHENTICATED, FORBIDDEN = "UNAUTHENTICATED", "FORBIDDEN"


@dataclass(frozen=True)
class Rule:
    """What a request needs: a global role, a token scope, and whether a browser session is required."""

    name: str
    role: str | None  # None: public
    scope: str | None = None  # a token must carry it (sessions carry every scope)
    session_only: bool = False  # account management: a token may not mint tokens or change users
    # The Settings field listing networks (CIDRs) whose clients pass without credentials; None: none do.
    open_to_networks: str | None = None

    @property
    def public(self) -> bool:
        return self.role is None


PUBLIC = Rule("public", None)
READ = Rule("read", "viewer", "read")  # pages, API GET
EXPORT = Rule("export", "viewer", "export")  # downloads and the export API
WRITE = Rule("write", "editor", "write")  # hypotheses, validations, imports (API issue)
ADMIN = Rule("admin", "admin", "admin")  # users, everyone's tokens, the audit log, settings
ACCOUNT = Rule("account", "viewer", session_only=True)  # one's own account, from a browser session
ADMIN_PAGES = Rule("admin-pages", "admin", "admin", session_only=True)  # admin forms, from a browser session
# Prometheus scrapes: an admin (a token with the admin scope, or a browser session), or a client
# address in HELIOS_METRICS_ALLOW, since a scraper on the monitoring network usually holds no token.
# The address half is a field of the rule, checked by the guard like every other access decision:
# the view checks nothing, and the table alone says who reaches /metrics.
METRICS = Rule("metrics", "admin", "admin", open_to_networks="metrics_allow")

# Flask endpoint -> rule. Dash names its endpoints by their URL rule.
ROUTES: dict[str, Rule] = {
    # Public by name: sign-in, static files, the renderer's scripts, the favicon.
    "auth.login": PUBLIC,
    "static": PUBLIC,
    "_dash_assets.static": PUBLIC,
    "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>": PUBLIC,
    "/_favicon.ico": PUBLIC,
    # A path under /api that no endpoint serves: the 404 envelope tells nothing a list of routes would not.
    "api_fallback.unknown_endpoint": PUBLIC,
    # The API's description and its page: no data, the same on every deployment (it is in the source),
    # and what an integrator reads before holding a key. Swagger UI's files are under "static".
    "api.openapi": PUBLIC,
    "api_docs.page": PUBLIC,
    # Health checks: load balancers and orchestrators probe them without credentials; they say
    # only whether the process, the store and Redis answer (helios_dash/ops/health.py).
    "health.summary": PUBLIC,
    "health.live": PUBLIC,
    "health.ready": PUBLIC,
    "stream.stream": READ,  # WebSocket /stream (realtime/ws.py): messages redacted per role
    "stream.leaderboard": READ,  # WebSocket /ws/leaderboard, the guide's alias (subscribed to leaderboard)
    "api.stream_ticket": READ,  # POST /api/v1/stream/tickets: writes nothing, only opens /stream (realtime/tickets.py)
    "metrics.exposition": METRICS,  # GET /metrics (helios_dash/ops/metrics_view.py)
    # The dashboard: pages, and what the renderer fetches to draw them.
    "/": READ,
    "/<path:path>": READ,
    "/_dash-layout": READ,
    "/_dash-dependencies": READ,
    "/_reload-hash": READ,
    "/_dash-update-component": READ,  # narrowed per callback by CALLBACKS below
    # The API.
    "api.export": EXPORT,
    "api.audit": ADMIN,
    "api.ingest_validations": WRITE,
    "api.validators": READ,
    "api.hypotheses": READ,
    "api.hypothesis": READ,
    "api.create_hypothesis": WRITE,
    "api.validate_hypothesis": WRITE,
    "api.create_and_validate_hypothesis": WRITE,
    "api.domains": READ,
    "api.domain": READ,
    "api.algorithms": READ,
    "api.algorithm": READ,
    "api.leaderboard": READ,
    "api.domain_leaderboard": READ,
    "api.validations": READ,
    "api.research_projects": READ,
    "api.research": READ,
    "api.research_stream": READ,
    "api.create_research": WRITE,
    # Webhooks: editors and admins, listing too (an endpoint and its delivery log are integration
    # settings, not data); an editor sees only their own, an admin everyone's (webhooks/service.py).
    "api.webhooks": WRITE,
    "api.create_webhook": WRITE,
    "api.delete_webhook": WRITE,
    "api.test_webhook": WRITE,
    "api.webhook_deliveries": WRITE,
    # Accounts.
    "auth.logout": ACCOUNT,
    "auth.sign_out_everywhere": ACCOUNT,
    "account.index": ACCOUNT,
    "account.create_token": ACCOUNT,
    "account.revoke_token": ACCOUNT,
    "admin.users": ADMIN_PAGES,
    "admin.create_user": ADMIN_PAGES,
    "admin.set_role": ADMIN_PAGES,
    "admin.set_active": ADMIN_PAGES,
    "admin.revoke_token": ADMIN_PAGES,
    "audit_admin.index": ADMIN_PAGES,
    "audit_admin.export": ADMIN_PAGES,
    "webhooks_admin.index": ADMIN_PAGES,
}

# Dash callback (its function's module and name) -> rule. Every callback of today reads; the
# download callback exports. A new callback must be added here, or the matrix test fails and
# the guard refuses it. Clientside callbacks never reach the server and need no rule.
CALLBACKS: dict[str, Rule] = {
    "dash.dash.update": READ,  # Dash Pages' router: renders the page for a URL
    "helios_dash.pages._downloads.update_download": EXPORT,
    "helios_dash.pages._shell.update_data_version": READ,
    "helios_dash.pages.algorithm.update_algorithm": READ,
    "helios_dash.pages.algorithm.update_algorithm_query": READ,
    "helios_dash.pages.compare.update_compare": READ,
    "helios_dash.pages.compare.update_compare_query": READ,
    "helios_dash.pages.domains.update_domains": READ,
    "helios_dash.pages.domains.update_domains_focus": READ,
    "helios_dash.pages.domains.update_domains_query": READ,
    "helios_dash.pages.leaderboard.update_leaderboard": READ,
    "helios_dash.pages.leaderboard.update_leaderboard_dates": READ,
    "helios_dash.pages.leaderboard.update_leaderboard_frame": READ,
    "helios_dash.pages.leaderboard.update_leaderboard_query": READ,
    "helios_dash.pages.leaderboard.update_leaderboard_sort": READ,
    "helios_dash.pages.overview.update_overview": READ,
    "helios_dash.pages.overview.update_overview_query": READ,
    "helios_dash.pages.overview.update_period_dates": READ,
    "helios_dash.pages.trends.update_rolling_options": READ,
    "helios_dash.pages.trends.update_trends": READ,
    "helios_dash.pages.trends.update_trends_note": READ,
    "helios_dash.pages.trends.update_trends_query": READ,
}


def callback_name(function) -> str:
    """How CALLBACKS names a callback function."""
    return f"{function.__module__}.{function.__name__}"


def route_rule(endpoint: str | None) -> Rule | None:
    """The rule of a Flask endpoint, or None when the table has none (refused)."""
    return ROUTES.get(endpoint) if endpoint else None


def address_allowed(address: str | None, networks: tuple[str, ...]) -> bool:
    """Whether the client ``address`` lies in one of ``networks`` (CIDRs); False for no or a bad address."""
    import ipaddress

    try:
        client = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    client = getattr(client, "ipv4_mapped", None) or client  # ::ffff:10.0.0.7 is 10.0.0.7
    return any(client in ipaddress.ip_network(network) for network in networks)


def decide(principal: Principal, rule: Rule) -> str | None:
    """None when ``principal`` may go ahead; else UNAUTHENTICATED (sign in first) or FORBIDDEN."""
    if rule.public:
        return None
    if not principal.signed_in:
        # Anonymous visitors pass only where HELIOS_ANONYMOUS_ROLE reaches, and never into accounts.
        opened = principal.has_role(rule.role) and (rule.scope is None or rule.scope in principal.scopes)
        return None if opened and not rule.session_only else UNAUTHENTICATED
    if rule.session_only and principal.via != "session":
        return FORBIDDEN
    if not principal.has_role(rule.role):
        return FORBIDDEN
    if rule.scope is not None and rule.scope not in principal.scopes:
        return FORBIDDEN
    return None
