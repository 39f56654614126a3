"""/account (one's profile and tokens) and /admin/users (users, roles, everyone's tokens).

Plain forms that work without JavaScript: a POST redirects (303) back with a flash message,
except where a new token or a generated password is shown, once, in the page it renders.
Access is the guard's (rules.py: ``account`` needs a browser session, ``admin`` the admin
role); these views only pass the principal and the request's audit context on.
"""
from __future__ import annotations

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for

from ..accounts.api_tokens import create_token, list_tokens, revoke_token
from ..accounts.passwords import generate_password
from ..accounts.users import check_role, count_admins, create_user, get_user, list_users, set_active, set_role
from ..domain.principal import ROLES, SCOPES
from ..errors import Conflict, HeliosError
from ..runtime import get_store
from .current import audit_context, current_principal

account = Blueprint("account", __name__)
admin = Blueprint("admin", __name__)
DEFAULT_EXPIRES_DAYS = 90  # what the form suggests; emptied, the token never expires


def init_account_views(server: Flask) -> None:
    """Register the account and admin blueprints on ``server``."""
    server.register_blueprint(account)
    server.register_blueprint(admin)


@account.app_template_filter("when")
def when(value, empty: str = "never") -> str:
    """A UTC timestamp as the account pages show it."""
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else empty


# -- /account ---------------------------------------------------------------------------------
@account.get("/account", endpoint="index")
def account_index():
    """Your profile and your tokens, with the form to create one."""
    return account_page()


@account.post("/account/tokens", endpoint="create_token")
def account_create_token():
    """Create a token for yourself and show it once."""
    store, principal = get_store(), current_principal()
    form = request.form
    try:
        raw, token = create_token(store, principal, get_user(store, principal.user_id), form.get("name", ""),
                                  form.getlist("scopes"), form.get("expires_days", "").strip() or None,
                                  kind=form.get("kind", "personal"), context=audit_context())
    except HeliosError as error:
        return back("account.index", error.message, "error")
    return account_page(new_token=raw, new_token_row=token)


@account.post("/account/tokens/<int:token_id>/revoke", endpoint="revoke_token")
def account_revoke_token(token_id: int):
    """Revoke one of your own tokens."""
    principal = current_principal()
    try:
        token = revoke_token(get_store(), principal, token_id, owner_id=principal.user_id, context=audit_context())
    except HeliosError as error:
        return back("account.index", error.message, "error")
    return back("account.index", f"Token '{token.name}' ({token.prefix}…) is revoked.")


def account_page(**reveal):
    """The account page; ``reveal`` holds a token just created, shown this once."""
    store, principal = get_store(), current_principal()
    user = get_user(store, principal.user_id)
    scopes = [scope for scope in SCOPES if scope != "admin" or user.role == "admin"]
    return render_template("account.html", principal=principal, user=user, tokens=list_tokens(store, user.id),
                           scopes=scopes, default_expires_days=DEFAULT_EXPIRES_DAYS, **reveal)


# -- /admin/users -----------------------------------------------------------------------------
@admin.get("/admin/users", endpoint="users")
def admin_users():
    """Every user and every token."""
    return admin_page()


@admin.post("/admin/users", endpoint="create_user")
def admin_create_user():
    """Add a user with a generated password, shown once."""
    form, password = request.form, generate_password()
    try:
        user = create_user(get_store(), current_principal(), form.get("email", ""), password,
                           form.get("role", ""), name=form.get("name") or None, context=audit_context())
    except HeliosError as error:
        return back("admin.users", error.message, "error")
    return admin_page(new_user=user, new_password=password)


@admin.post("/admin/users/<int:user_id>/role", endpoint="set_role")
def admin_set_role(user_id: int):
    """Change a user's role (never the last active admin's away from admin)."""
    store, role = get_store(), request.form.get("role", "")
    try:
        user = get_user(store, user_id)
        keep_an_admin(store, user, role=check_role(role))
        user = set_role(store, current_principal(), user.email, role, context=audit_context())
    except HeliosError as error:
        return back("admin.users", error.message, "error")
    return back("admin.users", f"{user.email} is now {user.role}.")


@admin.post("/admin/users/<int:user_id>/active", endpoint="set_active")
def admin_set_active(user_id: int):
    """Disable a user (sessions ended, tokens refused) or enable them again."""
    store, active = get_store(), request.form.get("active") == "true"
    try:
        user = get_user(store, user_id)
        keep_an_admin(store, user, active=active)
        user = set_active(store, current_principal(), user.email, active, context=audit_context())
    except HeliosError as error:
        return back("admin.users", error.message, "error")
    return back("admin.users", f"{user.email} is {'enabled' if user.active else 'disabled'}.")


@admin.post("/admin/tokens/<int:token_id>/revoke", endpoint="revoke_token")
def admin_revoke_token(token_id: int):
    """Revoke anyone's token."""
    try:
        token = revoke_token(get_store(), current_principal(), token_id, context=audit_context())
    except HeliosError as error:
        return back("admin.users", error.message, "error")
    return back("admin.users", f"Token '{token.name}' ({token.prefix}…) is revoked.")


def admin_page(**reveal):
    """The users page; ``reveal`` holds a user just created and their password, shown this once."""
    store = get_store()
    users = list_users(store)
    return render_template("admin_users.html", principal=current_principal(), users=users, roles=ROLES,
                           tokens=list_tokens(store), emails={user.id: user.email for user in users}, **reveal)


def keep_an_admin(store, user, role: str | None = None, active: bool = True) -> None:
    """Conflict when the change would leave no active admin: nobody could manage users from a browser."""
    loses_admin = user.role == "admin" and user.active and (role not in (None, "admin") or not active)
    if loses_admin and count_admins(store) <= 1:
        raise Conflict(f"{user.email} is the only active admin; make another user admin first.")


def back(endpoint: str, message: str, category: str = "success"):
    """A 303 back to ``endpoint``'s page with a flash message."""
    flash(message, category)
    return redirect(url_for(endpoint), 303)
