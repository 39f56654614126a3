"""The users and tokens command groups: printed once, stored hashed, audited as cli:<os user>, on both databases."""
from __future__ import annotations

import getpass
import hashlib

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from helios_dash.accounts.api_tokens import authenticate_token, list_tokens
from helios_dash.accounts.commands import tokens, users
from helios_dash.accounts.passwords import verify_password
from helios_dash.accounts.users import find_user, password_hash_of
from helios_dash.schema import audit_log
from helios_dash.store import open_store


@pytest.fixture
def run(store_url, monkeypatch):
    """``run(group, *args, input=None)``: the group invoked as the command line would, on this test's store."""
    monkeypatch.setenv("HELIOS_DATABASE_URL", store_url)
    runner = CliRunner()
    return lambda group, *args, input=None: runner.invoke(group, list(args), input=input)


@pytest.fixture
def reopen(store_url):
    """Open the test's store after a command closed it (DuckDB admits one process, so not during)."""
    opened = []

    def open_it():
        opened.append(open_store(store_url))
        return opened[-1]
    yield open_it
    for store in opened:
        store.close()


def test_users_add_generates_a_password_that_signs_in(run, reopen):
    result = run(users, "add", "Ada@Example.org", "--role", "editor", "--name", "Ada Lovelace")
    assert result.exit_code == 0, result.output
    printed = [line for line in result.output.splitlines() if line.startswith("Password (shown once): ")]
    assert len(printed) == 1
    password = printed[0].split(": ", 1)[1]
    assert len(password) >= 12
    user, stored_hash = password_hash_of(reopen(), "ada@example.org")
    assert (user.email, user.name, user.role, user.active) == ("ada@example.org", "Ada Lovelace", "editor", True)
    assert password not in stored_hash
    assert verify_password(stored_hash, password)[0] is True
    assert verify_password(stored_hash, password + "x")[0] is False


def test_users_add_reads_the_password_from_stdin_and_prints_none(run, reopen):
    result = run(users, "add", "grace@example.org", "--role", "viewer", "--password-stdin",
                 input="a long enough secret\n")
    assert result.exit_code == 0, result.output
    assert "Password" not in result.output and "a long enough secret" not in result.output
    _, stored_hash = password_hash_of(reopen(), "grace@example.org")
    assert verify_password(stored_hash, "a long enough secret")[0] is True


@pytest.mark.parametrize("args, message", [
    (["add", "x@example.org", "--role", "viewer", "--password-stdin"], "at least 12 characters"),
    (["add", "not-an-address", "--role", "viewer"], "e-mail address"),
    (["set-role", "nobody@example.org", "admin"], "No user with the address nobody@example.org"),
    (["disable", "nobody@example.org"], "No user with the address nobody@example.org"),
])
def test_users_errors_are_one_line_and_exit_non_zero(run, args, message):
    result = run(users, *args, input="short\n")
    assert result.exit_code != 0
    assert message in result.output and "Traceback" not in result.output


def test_users_add_twice_is_a_conflict(run):
    assert run(users, "add", "ada@example.org", "--role", "viewer").exit_code == 0
    again = run(users, "add", "ADA@example.org", "--role", "admin")
    assert again.exit_code == 1 and "already exists" in again.output


def test_users_list_set_role_disable_enable(run, reopen):
    run(users, "add", "ada@example.org", "--role", "viewer")
    run(users, "add", "bob@example.org", "--role", "editor")
    listed = run(users, "list")
    assert listed.exit_code == 0
    lines = listed.output.splitlines()
    assert len(lines) == 2
    assert lines[0].split("\t")[1:4] == ["ada@example.org", "viewer", "active"]
    assert lines[1].split("\t")[1:4] == ["bob@example.org", "editor", "active"]
    assert run(users, "set-role", "ada@example.org", "admin").output == "ada@example.org is now admin.\n"
    assert run(users, "disable", "bob@example.org").exit_code == 0
    lines = run(users, "list").output.splitlines()
    assert lines[0].split("\t")[2:4] == ["admin", "active"] and lines[1].split("\t")[2:4] == ["editor", "disabled"]
    assert run(users, "enable", "bob@example.org").exit_code == 0
    store = reopen()
    assert find_user(store, "bob@example.org").active is True
    entries = store.rows(sa.select(audit_log.c.actor, audit_log.c.action).order_by(audit_log.c.id))
    assert [entry["action"] for entry in entries] == ["user.create", "user.create", "user.set_role",
                                                      "user.disable", "user.enable"]
    assert {entry["actor"] for entry in entries} == {f"cli:{getpass.getuser()}"}


def test_users_list_when_empty_says_how_to_start(run):
    result = run(users, "list")
    assert result.exit_code == 0 and "users add EMAIL --role admin" in result.output


def test_tokens_create_prints_a_token_that_authenticates(run, reopen):
    run(users, "add", "ada@example.org", "--role", "editor")
    result = run(tokens, "create", "ada@example.org", "--name", "nightly", "--scope", "read", "--scope", "write",
                 "--expires-days", "7")
    assert result.exit_code == 0, result.output
    raw = result.output.splitlines()[-1]
    assert raw.startswith("hlp_") and len(raw) == 40
    store = reopen()
    user, token = authenticate_token(store, raw, "personal")
    assert user.email == "ada@example.org" and token.name == "nightly" and token.scopes == ("read", "write")
    assert [t.id for t in list_tokens(store)] == [token.id]
    assert raw not in str(store.rows(sa.select(audit_log)))
    assert hashlib.sha256(raw.encode()).hexdigest() not in str(store.rows(sa.select(audit_log)))


def test_tokens_create_service_key_defaults_to_read(run, reopen):
    run(users, "add", "etl@example.org", "--role", "editor")
    result = run(tokens, "create", "etl@example.org", "--name", "etl", "--service")
    raw = result.output.splitlines()[-1]
    assert raw.startswith("hlk_")
    user, token = authenticate_token(reopen(), raw, "service")
    assert token.scopes == ("read",) and token.expires_at is None and token.kind == "service"


def test_tokens_list_and_revoke(run, reopen):
    run(users, "add", "ada@example.org", "--role", "editor")
    run(users, "add", "bob@example.org", "--role", "viewer")
    first = run(tokens, "create", "ada@example.org", "--name", "one").output.splitlines()[-1]
    run(tokens, "create", "bob@example.org", "--name", "two")
    everyone = run(tokens, "list").output.splitlines()
    assert sorted(line.split("\t")[2] for line in everyone) == ["one", "two"]
    ada_only = run(tokens, "list", "ada@example.org").output.splitlines()
    assert len(ada_only) == 1
    fields = ada_only[0].split("\t")
    assert fields[1:4] == ["ada@example.org", "one", first[:12] + "…"] and fields[6] == "active"
    assert first[12:] not in "\n".join(everyone)  # lists never show more than the prefix
    revoked = run(tokens, "revoke", fields[0])
    assert revoked.exit_code == 0 and "is revoked" in revoked.output
    assert run(tokens, "list", "ada@example.org").output.split("\t")[6] == "revoked"
    assert authenticate_token(reopen(), first, "personal") is None


@pytest.mark.parametrize("args, message", [
    (["create", "nobody@example.org", "--name", "x"], "No user with the address nobody@example.org"),
    (["create", "ada@example.org", "--name", "x", "--expires-days", "0"], "1 to 3650 days"),
    (["create", "ada@example.org", "--name", "x", "--scope", "admin"], "admin scope"),
    (["create", "ada@example.org", "--name", "  "], "name of 1 to 100"),
    (["revoke", "999"], "No token with id 999"),
    (["list", "nobody@example.org"], "No user with the address"),
])
def test_tokens_errors_are_one_line_and_exit_non_zero(run, args, message):
    run(users, "add", "ada@example.org", "--role", "editor")
    result = run(tokens, *args)
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
