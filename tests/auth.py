"""Signing tests in: accounts and tokens made directly in a runtime's store, and test clients
that carry them. Every request a test sends goes through the guard like a real one."""
from __future__ import annotations

import weakref

from flask.testing import FlaskClient

from helios_dash.accounts.api_tokens import create_token
from helios_dash.accounts.users import create_user, find_user
from helios_dash.domain.principal import command_line
from helios_dash.runtime import RUNTIME_KEY

PASSWORD = "correct horse battery"  # 21 characters: passes the 12-character rule
OPERATOR = command_line("pytest")
ORIGIN = {"Origin": "http://localhost"}  # what a browser sends with a same-site form or fetch


def ensure_user(store, role: str, email: str | None = None):
    """The user ``<role>@test.helios`` (or ``email``) with PASSWORD, created at first use."""
    email = email or f"{role}@test.helios"
    return find_user(store, email) or create_user(store, OPERATOR, email, PASSWORD, role)


def token_for(store, role: str, scopes=("read", "export"), kind: str = "personal") -> str:
    """A new token of ``<role>@test.helios`` with ``scopes``."""
    raw, _token = create_token(store, OPERATOR, ensure_user(store, role), f"pytest {role}", list(scopes),
                               kind=kind)
    return raw


class ViewerClient(FlaskClient):
    """A test client that sends a viewer's read+export token with every request.

    Installed as the dashboard's and the API server's ``test_client_class`` (tests/conftest.py), so
    tests of numbers and formats read as a viewer would; access tests build plain FlaskClients.
    One token per store: the dashboard's runtime switches between DuckDB and PostgreSQL.
    """

    _tokens: "weakref.WeakKeyDictionary[object, str]" = weakref.WeakKeyDictionary()  # store -> token

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        store = self.application.extensions[RUNTIME_KEY].store
        if store not in self._tokens:
            self._tokens[store] = token_for(store, "viewer")
        self.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {self._tokens[store]}"


def anonymous_client(server) -> FlaskClient:
    """A client with no credentials at all."""
    return FlaskClient(server, server.response_class, use_cookies=True)


def signed_in_client(server, email: str, password: str = PASSWORD) -> FlaskClient:
    """A client signed in through the /login form, as a browser would be (cookie session)."""
    client = anonymous_client(server)
    response = client.post("/login", data={"email": email, "password": password}, headers=ORIGIN)
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return client
