"""/account and /admin/users through the guard, as a browser uses them (form posts, cookie session)."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from helios_dash.accounts.api_tokens import authenticate_token, create_token, list_tokens
from helios_dash.accounts.users import create_user, find_user
from helios_dash.domain.principal import command_line
from helios_dash.schema import audit_log

PASSWORD = "correct horse battery"
OPERATOR = command_line("pytest")
ORIGIN = {"Origin": "http://localhost"}  # a same-site form post, as a browser sends it
TOKEN = re.compile(r'<code id="new-token"[^>]*>(hl[pk]_[0-9A-Za-z]{36})</code>')
NEW_PASSWORD = re.compile(r'<code id="new-password"[^>]*>([^<]+)</code>')


@pytest.fixture
def store(runtime):
    return runtime.store


@pytest.fixture
def people(store):
    """A viewer, an editor and an admin."""
    return {role: create_user(store, OPERATOR, f"{role}@test.helios", PASSWORD, role)
            for role in ("viewer", "editor", "admin")}


def browser(app) -> FlaskClient:
    return FlaskClient(app, app.response_class, use_cookies=True)


def signed_in(app, email: str, password: str = PASSWORD) -> FlaskClient:
    client = browser(app)
    response = client.post("/login", data={"email": email, "password": password}, headers=ORIGIN)
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return client


def post(client, path: str, data=None, follow: bool = False):
    return client.post(path, data=data or {}, headers=ORIGIN, follow_redirects=follow)


def actions(store) -> list[tuple[str, str]]:
    rows = store.rows(sa.select(audit_log.c.actor, audit_log.c.action).order_by(audit_log.c.id))
    return [(row["actor"], row["action"]) for row in rows]


# -- /account ---------------------------------------------------------------------------------
def test_account_shows_the_profile(app, people):
    page = signed_in(app, "editor@test.helios").get("/account")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "editor@test.helios" in html and 'id="profile-role">editor<' in html
    assert 'action="/logout/everywhere"' in html and 'id="no-tokens"' in html
    assert 'value="admin"' not in html  # an editor is not offered the admin scope


def test_create_a_token_shown_once_then_revoke_it(app, store, people):
    client = signed_in(app, "viewer@test.helios")
    created = post(client, "/account/tokens", {"name": "laptop", "scopes": ["read", "export"],
                                               "expires_days": "30", "kind": "personal"})
    assert created.status_code == 200
    assert created.headers["Cache-Control"] == "no-store"
    raw = TOKEN.search(created.get_data(as_text=True)).group(1)
    user, token = authenticate_token(store, raw, "personal")
    assert (user.email, token.name, token.scopes) == ("viewer@test.helios", "laptop", ("read", "export"))
    later = client.get("/account").get_data(as_text=True)
    assert raw[:12] in later and raw[12:] not in later and 'id="new-token"' not in later
    revoked = post(client, f"/account/tokens/{token.id}/revoke")
    assert revoked.status_code == 303 and revoked.headers["Location"].endswith("/account")
    assert "is revoked" in client.get("/account").get_data(as_text=True)
    assert authenticate_token(store, raw, "personal") is None
    viewer = f"user:{people['viewer'].id}"
    assert actions(store)[-3:] == [(viewer, "auth.sign_in"), (viewer, "token.create"), (viewer, "token.revoke")]


def test_a_service_key_from_the_form_authenticates_as_a_key(app, store, people):
    client = signed_in(app, "editor@test.helios")
    created = post(client, "/account/tokens", {"name": "etl", "scopes": "write", "expires_days": "", "kind": "service"})
    raw = TOKEN.search(created.get_data(as_text=True)).group(1)
    assert raw.startswith("hlk_")
    user, token = authenticate_token(store, raw, "service")
    assert token.expires_at is None and token.scopes == ("write",)


@pytest.mark.parametrize("form, message", [
    ({"name": "x", "expires_days": "30"}, "scopes"),
    ({"name": "", "scopes": "read"}, "name of 1 to 100"),
    ({"name": "x", "scopes": "read", "expires_days": "0"}, "1 to 3650 days"),
    ({"name": "x", "scopes": "admin"}, "admin scope"),
])
def test_bad_token_forms_come_back_with_a_message_and_create_nothing(app, store, people, form, message):
    client = signed_in(app, "viewer@test.helios")
    response = post(client, "/account/tokens", form)
    assert response.status_code == 303
    assert message in client.get("/account").get_data(as_text=True)
    assert list_tokens(store) == []


def test_nobody_revokes_another_users_token_from_their_account(app, store, people):
    raw, token = create_token(store, OPERATOR, people["editor"], "theirs", ["read"])
    client = signed_in(app, "viewer@test.helios")
    assert post(client, f"/account/tokens/{token.id}/revoke").status_code == 303
    assert f"No token with id {token.id}" in client.get("/account").get_data(as_text=True)
    assert authenticate_token(store, raw, "personal") is not None


def test_account_needs_a_session_a_same_site_post_and_no_token(app, store, people):
    anonymous = browser(app).get("/account")
    assert anonymous.status_code == 302 and anonymous.headers["Location"] == "/login?next=/account"
    client = signed_in(app, "viewer@test.helios")
    cross_site = client.post("/account/tokens", data={"name": "x", "scopes": "read"},
                             headers={"Origin": "http://evil.example"})
    assert cross_site.status_code == 403 and list_tokens(store) == []
    raw, _ = create_token(store, OPERATOR, people["viewer"], "api", ["read"])
    by_token = browser(app).post("/account/tokens", data={"name": "minted", "scopes": "read"},
                                 headers={"Authorization": f"Bearer {raw}"})
    assert by_token.status_code == 403
    assert [t.name for t in list_tokens(store)] == ["api"]


# -- /admin/users -----------------------------------------------------------------------------
def test_admin_lists_users_and_everyones_tokens(app, store, people):
    create_token(store, OPERATOR, people["viewer"], "viewer's laptop", ["read"])
    html = signed_in(app, "admin@test.helios").get("/admin/users").get_data(as_text=True)
    for role in ("viewer", "editor", "admin"):
        assert f"{role}@test.helios" in html
    assert "viewer&#39;s laptop" in html and 'id="all-tokens"' in html


def test_admin_adds_a_user_whose_generated_password_signs_in(app, store, people):
    client = signed_in(app, "admin@test.helios")
    created = post(client, "/admin/users", {"email": "New.Person@Example.org", "name": "New", "role": "editor"})
    assert created.status_code == 200
    password = NEW_PASSWORD.search(created.get_data(as_text=True)).group(1)
    assert find_user(store, "new.person@example.org").role == "editor"
    signed_in(app, "new.person@example.org", password)  # asserts the 303 of a good sign-in
    assert 'id="new-password"' not in client.get("/admin/users").get_data(as_text=True)
    duplicate = post(client, "/admin/users", {"email": "new.person@example.org", "role": "viewer"}, follow=True)
    assert "already exists" in duplicate.get_data(as_text=True)


def test_admin_changes_a_role_and_disables_a_user(app, store, people):
    viewer_id = people["viewer"].id
    raw, _ = create_token(store, OPERATOR, people["viewer"], "viewer's", ["read"])
    client = signed_in(app, "admin@test.helios")
    changed = post(client, f"/admin/users/{viewer_id}/role", {"role": "editor"})
    assert changed.status_code == 303 and changed.headers["Location"].endswith("/admin/users")
    assert find_user(store, "viewer@test.helios").role == "editor"
    entry = store.rows(sa.select(audit_log).where(audit_log.c.action == "user.set_role"))[0]
    assert entry["actor"] == f"user:{people['admin'].id}" and entry["resource_id"] == str(viewer_id)
    assert entry["changes"] == '{"role": ["viewer", "editor"]}' and entry["ip"] == "127.0.0.1"
    assert post(client, f"/admin/users/{viewer_id}/active", {"active": "false"}).status_code == 303
    assert find_user(store, "viewer@test.helios").active is False
    assert authenticate_token(store, raw, "personal") is None
    assert post(client, f"/admin/users/{viewer_id}/active", {"active": "true"}).status_code == 303
    assert find_user(store, "viewer@test.helios").active is True


def test_admin_revokes_anyones_token(app, store, people):
    raw, token = create_token(store, OPERATOR, people["editor"], "editor's", ["read"])
    client = signed_in(app, "admin@test.helios")
    assert post(client, f"/admin/tokens/{token.id}/revoke").status_code == 303
    assert authenticate_token(store, raw, "personal") is None
    assert (f"user:{people['admin'].id}", "token.revoke") in actions(store)


def test_the_last_admin_cannot_demote_or_disable_themselves(app, store, people):
    admin_id = people["admin"].id
    client = signed_in(app, "admin@test.helios")
    post(client, f"/admin/users/{admin_id}/role", {"role": "viewer"})
    post(client, f"/admin/users/{admin_id}/active", {"active": "false"})
    after = find_user(store, "admin@test.helios")
    assert (after.role, after.active) == ("admin", True)
    assert "only active admin" in client.get("/admin/users").get_data(as_text=True)
    create_user(store, OPERATOR, "second@test.helios", PASSWORD, "admin")
    post(client, f"/admin/users/{admin_id}/role", {"role": "editor"})
    assert find_user(store, "admin@test.helios").role == "editor"


def test_a_bad_role_is_refused_with_a_message(app, store, people):
    client = signed_in(app, "admin@test.helios")
    response = post(client, f"/admin/users/{people['viewer'].id}/role", {"role": "owner"}, follow=True)
    assert "A role is one of viewer, editor, admin" in response.get_data(as_text=True)
    assert find_user(store, "viewer@test.helios").role == "viewer"


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_non_admins_get_403_on_admin_pages_and_change_nothing(app, store, people, role):
    client = signed_in(app, f"{role}@test.helios")
    assert client.get("/admin/users").status_code == 403
    assert post(client, f"/admin/users/{people['viewer'].id}/role", {"role": "admin"}).status_code == 403
    assert post(client, "/admin/users", {"email": "x@example.org", "role": "admin"}).status_code == 403
    assert find_user(store, "viewer@test.helios").role == "viewer" and find_user(store, "x@example.org") is None


def test_a_token_made_on_the_account_page_opens_the_api_until_revoked(app, store, people):
    client = signed_in(app, "viewer@test.helios")
    created = post(client, "/account/tokens", {"name": "reports", "scopes": ["read", "export"], "expires_days": "7"})
    raw = TOKEN.search(created.get_data(as_text=True)).group(1)
    api = browser(app)

    def export(headers):
        return api.post("/api/v1/export/leaderboard", json={"format": "json"}, headers=headers)
    bearer = {"Authorization": f"Bearer {raw}"}
    assert export(bearer).status_code == 200
    assert export({"X-API-Key": raw}).status_code == 401  # a personal token is not a service key
    token_id = list_tokens(store, people["viewer"].id)[0].id
    assert post(client, f"/account/tokens/{token_id}/revoke").status_code == 303
    refused = export(bearer)
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "UNAUTHENTICATED"
