"""The ``users`` and ``tokens`` command groups (``helios-dash users add``, ``helios-dash tokens create``, ...).

The operator at the command line acts as ``cli:<os user>`` in the audit log. A generated
password or a new token is printed once and never again: only hashes are stored.
"""
from __future__ import annotations

import getpass
import sys
from contextlib import contextmanager

import click

from ..domain.principal import ROLES, SCOPES, command_line
from ..cli_errors import friendly_errors
from ..errors import NotFound
from ..settings import Settings
from ..store import open_store


@contextmanager
def _opened_store():
    """The configured store (HELIOS_DATABASE_URL), closed afterwards."""
    store = open_store(Settings.from_env().database_url)
    try:
        yield store
    finally:
        store.close()


def _operator():
    return command_line(getpass.getuser())


def _when(value, empty: str = "-") -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else empty


def _require_user(store, email: str):
    from .users import find_user

    user = find_user(store, email)
    if user is None:
        raise NotFound(f"No user with the address {email}.")
    return user


# -- users -----------------------------------------------------------------------------------
@click.group()
def users():
    """Add, list, change and disable users."""


@users.command("add")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--name", help="Display name; the part of the address before @ by default.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@friendly_errors
def add_user(email: str, role: str, name: str | None, password_stdin: bool):
    """Add a user; without --password-stdin, generate a password and print it once."""
    from .passwords import generate_password
    from .users import create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = generate_password()
    with _opened_store() as store:
        user = create_user(store, _operator(), email, password, role, name=name)
    click.echo(f"Added {user.email} ({user.role}), id {user.id}.")
    if not password_stdin:
        click.echo(f"Password (shown once): {password}")


@users.command("list")
@friendly_errors
def list_users_command():
    """Every user: id, address, role, active, last sign-in."""
    from .users import list_users

    with _opened_store() as store:
        found = list_users(store)
    if not found:
        click.echo("No users yet; add one with `helios-dash users add EMAIL --role admin`.")
    for user in found:
        state = "active" if user.active else "disabled"
        click.echo(f"{user.id}\t{user.email}\t{user.role}\t{state}\tlast sign-in {_when(user.last_login)}")


@users.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
@friendly_errors
def set_role_command(email: str, role: str):
    """Change a user's role."""
    from .users import set_role

    with _opened_store() as store:
        user = set_role(store, _operator(), email, role)
    click.echo(f"{user.email} is now {user.role}.")


@users.command("disable")
@click.argument("email")
@friendly_errors
def disable_command(email: str):
    """Disable a user: no sign-in, sessions ended, tokens refused."""
    from .users import set_active

    with _opened_store() as store:
        user = set_active(store, _operator(), email, False)
    click.echo(f"{user.email} is disabled.")


@users.command("enable")
@click.argument("email")
@friendly_errors
def enable_command(email: str):
    """Enable a disabled user again."""
    from .users import set_active

    with _opened_store() as store:
        user = set_active(store, _operator(), email, True)
    click.echo(f"{user.email} is enabled.")


# -- tokens ----------------------------------------------------------------------------------
@click.group()
def tokens():
    """Create, list and revoke API tokens and service keys."""


@tokens.command("create")
@click.argument("email")
@click.option("--name", required=True, help="What the token is for, e.g. 'nightly import'.")
@click.option("--scope", "scopes", multiple=True, type=click.Choice(SCOPES),
              help="A scope (repeatable); read only by default.")
@click.option("--expires-days", type=int, help="Days until it expires (1-3650); never by default.")
@click.option("--service", is_flag=True, help="A service key (X-API-Key) instead of a personal Bearer token.")
@friendly_errors
def create_token_command(email: str, name: str, scopes: tuple[str, ...], expires_days: int | None, service: bool):
    """Create a token for the user EMAIL and print it once."""
    from .api_tokens import create_token

    with _opened_store() as store:
        user = _require_user(store, email)
        raw, token = create_token(store, _operator(), user, name, scopes or ("read",), expires_days,
                                  kind="service" if service else "personal")
    click.echo(f"Created {token.kind} token {token.id} '{token.name}' for {user.email} "
               f"(scopes {' '.join(token.scopes)}, expires {_when(token.expires_at, 'never')}).")
    click.echo("Copy it now; it is not shown again:")
    click.echo(raw)


@tokens.command("list")
@click.argument("email", required=False)
@friendly_errors
def list_tokens_command(email: str | None):
    """Tokens of the user EMAIL, or everyone's: id, owner, name, prefix, kind, scopes, status, expiry, last use."""
    from .api_tokens import list_tokens
    from .users import list_users

    with _opened_store() as store:
        owner = _require_user(store, email) if email else None
        found = list_tokens(store, owner.id if owner else None)
        emails = {user.id: user.email for user in list_users(store)}
    if not found:
        click.echo("No tokens.")
    for token in found:
        click.echo(f"{token.id}\t{emails.get(token.user_id, token.user_id)}\t{token.name}\t{token.prefix}…\t"
                   f"{token.kind}\t{' '.join(token.scopes)}\t{token.status()}\texpires {_when(token.expires_at)}\t"
                   f"last used {_when(token.last_used_at)}")


@tokens.command("revoke")
@click.argument("token_id", type=int)
@friendly_errors
def revoke_token_command(token_id: int):
    """Revoke the token with id TOKEN_ID."""
    from .api_tokens import revoke_token

    with _opened_store() as store:
        token = revoke_token(store, _operator(), token_id)
    click.echo(f"Token {token.id} '{token.name}' ({token.prefix}…) is revoked.")
