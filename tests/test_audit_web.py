"""GET /api/v1/audit, /admin/audit and /admin/audit.csv through the guard, on both databases:
admins read the log (checked against plain SQL), viewers get 403, anonymous visitors 401 or /login."""
from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

import helios_dash.api.audit  # noqa: F401 - registers GET /api/v1/audit until api/__init__.py imports it
from helios_dash.accounts import audit
from helios_dash.accounts.api_tokens import create_token
from helios_dash.accounts.users import create_user
from helios_dash.domain.principal import Principal, command_line

PASSWORD = "correct horse battery"
OPERATOR = command_line("pytest")
ORIGIN = {"Origin": "http://localhost"}


@pytest.fixture
def accounts(app):
    """An admin and a viewer (two user.create entries), and the store."""
    store = app.extensions["helios.runtime"].store
    admin = create_user(store, OPERATOR, "admin@test.helios", PASSWORD, "admin")
    viewer = create_user(store, OPERATOR, "viewer@test.helios", PASSWORD, "viewer")
    return store, admin, viewer


def signed_in(app, email: str) -> FlaskClient:
    client = FlaskClient(app, app.response_class, use_cookies=True)
    response = client.post("/login", data={"email": email, "password": PASSWORD}, headers=ORIGIN)
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return client


def sql_ids(store, where: str = "1 = 1", **params) -> list[int]:
    """The oracle: entry ids newest first, by plain SQL."""
    with store.engine.connect() as conn:
        return [int(i) for i in conn.execute(sa.text(f"SELECT id FROM audit_log WHERE {where} ORDER BY id DESC"),
                                             params).scalars()]


def test_an_admin_reads_the_log_in_the_envelope_newest_first(app, accounts):
    store, admin, _ = accounts
    client = signed_in(app, "admin@test.helios")
    response = client.get("/api/v1/audit")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "success"
    expected = sql_ids(store)
    assert len(expected) == 3  # two user.create, one auth.sign_in
    assert [entry["id"] for entry in body["data"]] == expected
    newest = body["data"][0]
    assert (newest["action"], newest["actor"], newest["resource_id"]) == ("auth.sign_in", f"user:{admin.id}",
                                                                          str(admin.id))
    assert newest["created_at"].endswith("Z") and isinstance(newest["changes"], dict)
    assert body["meta"]["pagination"] == {"page": 1, "per_page": 50, "total": 3, "pages": 1}
    assert body["meta"]["request_id"].startswith("req_")
    assert response.headers["Cache-Control"] == "no-store"


def test_the_api_filters_and_pages_like_plain_sql(app, accounts):
    store, _, _ = accounts
    client = signed_in(app, "admin@test.helios")
    for number in range(5):
        client.post("/login", data={"email": "nobody@test.helios", "password": f"wrong-{number}"}, headers=ORIGIN)
    failed = sql_ids(store, "action = 'auth.sign_in_failed'")
    assert len(failed) == 5
    response = client.get("/api/v1/audit?action=auth.sign_in_failed&per_page=2&page=2")
    body = response.get_json()
    assert [entry["id"] for entry in body["data"]] == failed[2:4]
    assert body["meta"]["pagination"] == {"page": 2, "per_page": 2, "total": 5, "pages": 3}
    page = "http://localhost/api/v1/audit?action=auth.sign_in_failed&per_page=2&page={}"
    assert response.headers["Link"] == (f'<{page.format(1)}>; rel="first", <{page.format(1)}>; rel="prev", '
                                        f'<{page.format(3)}>; rel="next", <{page.format(3)}>; rel="last"')
    created = client.get("/api/v1/audit?action=user.*&actor=cli:pytest").get_json()
    assert [entry["id"] for entry in created["data"]] == sql_ids(store, "action = 'user.create'")
    assert client.get("/api/v1/audit?resource_type=token").get_json()["data"] == []
    today = client.get("/api/v1/audit?start=2000-01-01&end=2999-12-31").get_json()
    assert today["meta"]["pagination"]["total"] == len(sql_ids(store))
    assert client.get("/api/v1/audit?end=2000-01-01").get_json()["data"] == []


@pytest.mark.parametrize("query, field", [("per_page=201", "per_page"), ("per_page=0", "per_page"),
                                          ("page=-1", "page"), ("page=abc", "page"), ("start=yesterday", "start"),
                                          ("end=2026-13-01", "end"), ("start=2026-03-02&end=2026-03-01", "end"),
                                          ("actor=" + "a" * 201, "actor")])
def test_bad_parameters_are_a_400_naming_the_field(app, accounts, query, field):
    response = signed_in(app, "admin@test.helios").get(f"/api/v1/audit?{query}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert [detail["field"] for detail in error["details"]] == [field]


def test_only_admins_reach_the_log(app, accounts):
    store, admin, viewer = accounts
    anonymous = FlaskClient(app, app.response_class, use_cookies=True)
    assert anonymous.get("/api/v1/audit").status_code == 401
    page = anonymous.get("/admin/audit")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login?next=/admin/audit")
    assert anonymous.get("/admin/audit.csv").status_code == 302

    viewer_client = signed_in(app, "viewer@test.helios")
    for path in ("/api/v1/audit", "/admin/audit", "/admin/audit.csv"):
        assert viewer_client.get(path).status_code == 403, path
    assert viewer_client.get("/api/v1/audit").get_json()["error"]["code"] == "FORBIDDEN"

    with_admin_scope, _ = create_token(store, OPERATOR, admin, "auditor", ["read", "admin"])
    without, _ = create_token(store, OPERATOR, admin, "reader", ["read"])
    assert FlaskClient(app).get("/api/v1/audit", headers={"Authorization": f"Bearer {with_admin_scope}"}
                                ).status_code == 200
    assert FlaskClient(app).get("/api/v1/audit", headers={"Authorization": f"Bearer {without}"}).status_code == 403


def test_the_admin_page_lists_filters_and_pages_without_javascript(app, accounts):
    store, admin, _ = accounts
    client = signed_in(app, "admin@test.helios")
    page = client.get("/admin/audit")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.count("<tr>") == 1 + 3  # the header and three entries
    assert 'method="get"' in html and "auth.sign_in" in html and "admin@test.helios" in html

    filtered = client.get("/admin/audit?action=user.create&per_page=1").get_data(as_text=True)
    assert filtered.count("<tr>") == 1 + 1
    assert "2 entries; page 1 of 2" in filtered
    assert 'href="/admin/audit?action=user.create&amp;page=2&amp;per_page=1"' in filtered  # Older
    second = client.get("/admin/audit?action=user.create&per_page=1&page=2").get_data(as_text=True)
    newest_first = sql_ids(store, "action = 'user.create'")
    assert f"<td>{newest_first[1]}</td>" in second and f"<td>{newest_first[0]}</td>" not in second

    bad = client.get("/admin/audit?start=soon")
    assert bad.status_code == 400 and "start" in bad.get_data(as_text=True)


def test_the_csv_holds_the_filtered_log_neutralised_and_the_export_is_audited(app, accounts):
    store, admin, _ = accounts
    hostile = Principal(kind="user", role="viewer", user_id=99, email="=HYPERLINK(\"http://x\")@evil.org")
    with store.records() as conn:  # e-mails are typed by anyone (failed sign-ins record them)
        audit.record(conn, hostile, "auth.sign_in_failed", "user", "-1", {"email": hostile.email})
    client = signed_in(app, "admin@test.helios")
    response = client.get("/admin/audit.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="helios-audit-')
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [int(row["id"]) for row in rows] == sql_ids(store)  # its own export entry included, first
    assert (rows[0]["action"], rows[0]["resource_type"], rows[0]["resource_id"]) == ("export.create", "export",
                                                                                     "audit")
    failed = next(row for row in rows if row["action"] == "auth.sign_in_failed")
    assert failed["actor_email"] == "'" + hostile.email  # never a live formula in a spreadsheet
    assert failed["resource_id"] == "'-1"
    assert not any(value.startswith(("=", "+", "-", "@")) for row in rows for value in row.values())

    only_created = list(csv.DictReader(io.StringIO(
        client.get("/admin/audit.csv?action=user.create").get_data(as_text=True))))
    assert [int(row["id"]) for row in only_created] == sql_ids(store, "action = 'user.create'")
    assert audit.verify_chain(store).ok
