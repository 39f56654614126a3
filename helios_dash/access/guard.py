"""The one guard: a ``before_request`` check of every request against the access table.

It resolves who is asking (a token first, then the session cookie, else the anonymous
visitor), refuses cross-site unsafe requests that ride on the cookie, then asks
``rules.decide``. Refusals: a page sends the anonymous visitor to /login?next=..., the API
and Dash callbacks answer 401 UNAUTHENTICATED; a wrong role gets 403 FORBIDDEN.
"""
from __future__ import annotations

import logging
from urllib.parse import quote, urlsplit

from flask import Flask, current_app, g, render_template, request
from flask_login import current_user

from ..api.envelope import failure
from ..domain.principal import Principal, anonymous
from ..runtime import current_runtime
from .current import current_principal, set_current_principal
from .rules import (CALLBACKS, FORBIDDEN, UNAUTHENTICATED, Rule, address_allowed, callback_name, decide,
                    route_rule)

log = logging.getLogger(__name__)

DASH_KEY = "helios.dash"  # server.extensions entry holding the Dash app, for callback rules
CALLBACK_ENDPOINT = "/_dash-update-component"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
JSON_PREFIXES = ("/api/", "/_dash-", "/metrics", "/stream", "/ws/")  # /stream, /ws/: WebSocket handshakes  # answered with the envelope; everything else is a page


class Refusal(Exception):
    """Credentials that were sent but do not hold (a bad token): 401, never a fall-back to the cookie."""


def init_guard(server: Flask) -> None:
    """Install the guard before every other request hook (rate limits key on its principal)."""
    server.before_request_funcs.setdefault(None, []).insert(0, guard)
    server.after_request(no_store)


def guard():
    """Allow the request, or answer it with a redirect, 401 or 403."""
    if request.method == "OPTIONS":
        return None  # answers only which methods exist
    # Nothing cached on ``g`` by an earlier request may stand for this one. Under a server each
    # request has its own app context; a test that keeps one pushed shares ``g`` between requests.
    for cached in ("_login_user", "request_id"):
        g.pop(cached, None)
    try:
        principal = resolve_principal()
    except Refusal as refusal:
        set_current_principal(anonymous())
        return failure("UNAUTHENTICATED", str(refusal), status=401, headers={"WWW-Authenticate": "Bearer"})
    set_current_principal(principal)
    if request.url_rule is None:
        return None  # no such route: Flask answers 404 or 405, which tells nothing and serves nothing
    rule = rule_of_request()
    if rule is None:
        log.error("No access rule for %s %s (endpoint %s): refused", request.method, request.path,
                  request.endpoint)
        return refuse(FORBIDDEN, "This address has no access rule, so it is closed.")
    if request.method not in SAFE_METHODS and rides_on_cookie(principal) and not same_origin():
        return refuse(FORBIDDEN, "Cross-site request refused: it must come from this site's own pages.")
    if rule.open_to_networks and address_allowed(request.remote_addr,
                                                 getattr(current_runtime().settings, rule.open_to_networks)):
        return None  # a trusted network (the Prometheus scraper): no credentials needed
    verdict = decide(principal, rule)
    return refuse(verdict, refusal_message(verdict, rule)) if verdict else None


def resolve_principal() -> Principal:
    """Token (Authorization: Bearer, X-API-Key, ?api_key=), else session, else anonymous."""
    from ..accounts.api_tokens import authenticate_token

    runtime = current_runtime()
    ticket = request.args.get("ticket") if request.blueprint == "stream" else None
    if ticket:  # WebSocket /stream?ticket=... (realtime/tickets.py): single use, 60 s
        from ..realtime.tickets import principal_from_ticket

        found = principal_from_ticket(ticket)
        if found is None:
            raise Refusal("The ticket is unknown, expired or already used.")
        return found
    sent = sent_token()
    if sent:
        kind, raw = sent
        found = authenticate_token(runtime.store, raw, kind)
        if found is None:
            raise Refusal("The token is unknown, expired or revoked.")
        user, token = found
        return user.as_principal(via="token" if kind == "personal" else "key", token_id=token.id,
                                 scopes=frozenset(token.scopes))
    if current_user.is_authenticated:
        return current_user.user.as_principal(via="session")
    return anonymous(runtime.settings.anonymous_role)


def sent_token() -> tuple[str, str] | None:
    """("personal", token) from a Bearer header, ("service", key) from X-API-Key or ?api_key=, else None."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return "personal", header[7:].strip()
    key = request.headers.get("X-API-Key") or request.args.get("api_key")
    return ("service", key.strip()) if key else None


def rule_of_request() -> Rule | None:
    """The rule of the matched endpoint; for Dash callbacks, of the callback the body names."""
    endpoint = request.url_rule.endpoint
    if endpoint != CALLBACK_ENDPOINT:
        return route_rule(endpoint)
    return callback_rule()


def callback_rule() -> Rule | None:
    """The rule of the callback this /_dash-update-component body asks for (None: unknown, refused)."""
    dash_app = current_app.extensions.get(DASH_KEY)
    body = request.get_json(silent=True)
    output = body.get("output") if isinstance(body, dict) else None
    if dash_app is None or not isinstance(output, str):
        return None
    entry = dash_app.callback_map.get(output)
    if entry is None or "callback" not in entry:
        return None
    return CALLBACKS.get(callback_name(entry["callback"]))


def rides_on_cookie(principal: Principal) -> bool:
    """Whether the browser's cookie is what authenticates (or, at /login, will authenticate) this request."""
    return principal.via == "session" or request.endpoint == "auth.login"


def same_origin() -> bool:
    """True when the browser says the request comes from this site (Origin, else Sec-Fetch-Site)."""
    origin = request.headers.get("Origin")
    if origin:
        return origin.rstrip("/") in own_origins()
    return request.headers.get("Sec-Fetch-Site") == "same-origin"


def own_origins() -> set[str]:
    """This server as the request reached it, and as HELIOS_PUBLIC_URL names it (behind a proxy)."""
    public = urlsplit(current_runtime().settings.public_url)
    return {request.host_url.rstrip("/"), f"{public.scheme}://{public.netloc}"}


def refuse(verdict: str, message: str):
    """The answer to a refused request: JSON envelope, a redirect to sign in, or a 403 page."""
    wants_json = request.path.startswith(JSON_PREFIXES) or request.path == "/api"
    if verdict == UNAUTHENTICATED:
        if wants_json:
            return failure(UNAUTHENTICATED, message, status=401)
        return "", 302, {"Location": "/login?next=" + quote(request.full_path.rstrip("?"), safe="/")}
    if wants_json:
        return failure(FORBIDDEN, message, status=403)
    return render_template("forbidden.html", message=message, principal=current_principal()), 403


def refusal_message(verdict: str, rule: Rule) -> str:
    if verdict == UNAUTHENTICATED:
        return "Sign in, or send a token (Authorization: Bearer ...), to use this."
    if rule.session_only:
        return "Account pages are used from a signed-in browser, not with a token."
    return f"This needs the {rule.role} role" + (f" and a token with the {rule.scope} scope." if rule.scope else ".")


def no_store(response):
    """Nothing behind the guard is kept by browsers: the back button after sign-out shows no data."""
    rule = rule_of_request() if request.url_rule is not None else None
    if rule is not None and not rule.public:
        response.headers["Cache-Control"] = "no-store"
    return response
