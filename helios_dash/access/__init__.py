"""Access control for the web adapters: who is asking (flask-login, tokens), the one guard, limits."""
from __future__ import annotations

from flask import Flask

from ..errors import ConfigurationError
from ..log_redaction import install_secret_filter
from ..settings import DEV_SECRET_KEY, Settings


def init_access(server: Flask, settings: Settings) -> None:
    """Sign-in, the guard, rate limits and the account pages on ``server``.

    The guard goes first among request hooks: the rate limiter keys on the principal it sets.
    """
    from .guard import init_guard
    from .limits import init_limits
    from .login import init_login
    from .views import auth

    install_secret_filter()  # ?api_key= and tokens never reach a log line
    init_login(server)
    init_guard(server)
    init_limits(server, settings)
    server.register_blueprint(auth)
    for register in _optional_views():
        register(server)


def _optional_views():
    """The account, admin and audit pages (each its own blueprint)."""
    registrations = []
    try:
        from .account_views import init_account_views
        registrations.append(init_account_views)
    except ImportError:
        pass
    try:
        from .audit_views import init_audit_views
        registrations.append(init_audit_views)
    except ImportError:
        pass
    try:
        from .webhook_views import init_webhook_views
        registrations.append(init_webhook_views)
    except ImportError:
        pass
    return registrations


def check_ready_to_serve(settings: Settings, store) -> None:
    """Outside demo mode, refuse to serve without an admin or with the development secret key."""
    from ..accounts.demo_accounts import disable_demo_accounts, ensure_demo_accounts
    from ..accounts.users import count_admins

    if settings.demo_data:
        ensure_demo_accounts(store)
        return
    disable_demo_accounts(store)
    missing = [what for what, absent in (("an admin account", count_admins(store) == 0),
                                         ("a secret key", settings.secret_key == DEV_SECRET_KEY)) if absent]
    if missing:
        raise ConfigurationError(
            f"HELIOS will not serve without {' and '.join(missing)}: create the admin with "
            "`helios-dash users add you@example.org --role admin` and set HELIOS_SECRET_KEY to a long random "
            "value (`python -c 'import secrets; print(secrets.token_hex(32))'`), or set HELIOS_DEMO_DATA=1 "
            "for the demo.")
