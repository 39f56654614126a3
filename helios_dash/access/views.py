"""Sign-in and sign-out: /login (a plain form, works without JavaScript), POST /logout,
POST /logout/everywhere. Every outcome is in the audit log."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session
from flask_login import current_user, login_user, logout_user

from ..accounts import audit
from ..accounts.passwords import verify_password
from ..accounts.sessions import end_all_sessions, end_session, start_session
from ..accounts.users import password_hash_of, record_sign_in
from ..domain.principal import anonymous
from ..runtime import current_runtime
from .current import audit_context, current_principal
from .limits import sign_in_throttle
from .login import SessionUser

auth = Blueprint("auth", __name__)
WRONG = "Wrong e-mail or password."  # one answer whether or not the account exists
MAX_FIELD = 1024


@auth.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in form; on success a new session (new id) and a redirect to ``next``."""
    next_path = safe_next(request.args.get("next"))
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(next_path, 303)
        return page(next_path)
    email = request.form.get("email", "")[:MAX_FIELD].strip().lower()
    password = request.form.get("password", "")[:MAX_FIELD]
    throttle, ip = sign_in_throttle(current_app), request.remote_addr
    wait = throttle.retry_after(email, ip)
    if wait:
        return page(next_path, email, f"Too many failed sign-ins; try again in {wait} s.", 429,
                    {"Retry-After": str(wait)})
    store = current_runtime().store
    user, stored_hash = password_hash_of(store, email)
    matches, new_hash = verify_password(stored_hash, password)
    if not matches or not user.active:
        throttle.failed(email, ip)
        with store.records() as conn:
            audit.record(conn, anonymous(), "auth.sign_in_failed", "user", user.id if user else None,
                         {"email": email}, audit_context())
        return page(next_path, email, WRONG, 401)
    replaced = current_user.session_id if current_user.is_authenticated else None
    session.clear()  # nothing from before sign-in survives it (session fixation)
    with store.records() as conn:
        if replaced:  # signing in again ends the session it replaces, wherever its cookie was copied
            end_session(conn, replaced)
        session_id = start_session(conn, user.id, ip, request.user_agent.string)
        record_sign_in(conn, user.id, new_hash)
        audit.record(conn, user.as_principal(), "auth.sign_in", "user", user.id,
                     {"rehashed": bool(new_hash)}, audit_context())
    login_user(SessionUser(user, session_id))
    session.permanent = True
    return redirect(next_path, 303)


@auth.post("/logout")
def logout():
    """End this browser's session."""
    _sign_out(everywhere=False)
    flash("You are signed out.", "info")
    return redirect("/login", 303)


@auth.post("/logout/everywhere")
def sign_out_everywhere():
    """End every session of this user, on every device."""
    count = _sign_out(everywhere=True)
    flash(f"You are signed out everywhere ({count} session{'s' if count != 1 else ''} ended).", "info")
    return redirect("/login", 303)


def _sign_out(everywhere: bool) -> int:
    principal, ended = current_principal(), 0
    if current_user.is_authenticated:
        with current_runtime().store.records() as conn:
            if everywhere:
                ended = end_all_sessions(conn, principal.user_id)
            else:
                end_session(conn, current_user.session_id)
                ended = 1
            audit.record(conn, principal, "auth.sign_out_everywhere" if everywhere else "auth.sign_out", "user",
                         principal.user_id, {"sessions_ended": ended}, audit_context())
    logout_user()
    session.clear()
    return ended


def page(next_path: str, email: str = "", error: str | None = None, status: int = 200, headers=None):
    """The sign-in page (with the demo accounts named in demo mode)."""
    body = render_template("login.html", next_path=next_path if next_path != "/" else None, email=email,
                           error=error, demo=current_runtime().settings.demo_data, principal=None)
    return body, status, headers or {}


def safe_next(raw: str | None) -> str:
    """``raw`` when it is a path on this site, else "/": never a redirect to another origin.

    Refuses absolute URLs, scheme-relative ``//host``, backslash tricks browsers read as
    ``//``, and control characters (a header split or a hidden scheme).
    """
    if not raw or not raw.startswith("/") or raw.startswith(("//", "/\\")):
        return "/"
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F or ch == "\\" for ch in raw):
        return "/"
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc:
        return "/"
    return raw
