"""flask-login, wired once: the session cookie carries a server-side session id, not a user id.

``login_user`` stores the session's random id as flask-login's user id, so the user loader
resolves the session row (with its idle and absolute limits) on each request, and signing
out anywhere (one row, or all of a user's) takes effect at the next request.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask_login import LoginManager, UserMixin

from ..accounts.sessions import resolve_session
from ..accounts.users import User
from ..runtime import current_runtime

SESSION_COOKIE = "helios_session"
login_manager = LoginManager()  # the extension object, bound by init_login (flaskr pattern)


class SessionUser(UserMixin):
    """flask-login's user: a HELIOS user together with the session id the browser holds."""

    def __init__(self, user: User, session_id: str):
        self.user = user
        self.session_id = session_id

    def get_id(self) -> str:
        return self.session_id


@login_manager.user_loader
def load_session_user(session_id: str) -> SessionUser | None:
    """The user of a live session, or None (the visitor is anonymous again)."""
    settings = current_runtime().settings
    user = resolve_session(current_runtime().store, session_id,
                           idle=timedelta(minutes=settings.session_idle_minutes),
                           lifetime=timedelta(hours=settings.session_max_hours))
    return SessionUser(user, session_id) if user else None


def init_login(server: Flask) -> None:
    """Bind flask-login and set the cookie's flags from the settings."""
    settings = current_runtime_settings(server)
    server.config.update(
        SESSION_COOKIE_NAME=SESSION_COOKIE,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        # The cookie lives as long as a session may; the server-side row decides sooner.
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_max_hours),
    )
    login_manager.session_protection = None  # the server-side row is the protection; IPs change on phones
    login_manager.init_app(server)


def current_runtime_settings(server: Flask):
    from ..runtime import RUNTIME_KEY

    return server.extensions[RUNTIME_KEY].settings
