"""API tokens: the GitHub-style format and checksum, hash-only storage, and who authenticates, on both databases."""
from __future__ import annotations

import binascii
import hashlib
import string
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from helios_dash.accounts.api_tokens import authenticate_token, create_token, list_tokens, revoke_token
from helios_dash.accounts.tokens import looks_valid, new_token, token_hash
from helios_dash.accounts.users import create_user, set_active
from helios_dash.domain.principal import command_line
from helios_dash.errors import BadRequest, Forbidden, NotFound
from helios_dash.schema import api_tokens as api_tokens_table
from helios_dash.schema import audit_log

BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
OPERATOR = command_line("tester")
PASSWORD = "correct horse battery"


def _decode_base62(text: str) -> int:
    value = 0
    for char in text:
        value = value * 62 + BASE62.index(char)
    return value


def _aware(value: datetime) -> datetime:
    """A timestamp read back raw, as UTC (DuckDB may hand back a naive one)."""
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


# -- the format, pure ------------------------------------------------------------------------
@pytest.mark.parametrize("kind, prefix", [("personal", "hlp_"), ("service", "hlk_")])
def test_a_new_token_has_its_type_prefix_random_part_and_crc32_checksum(kind, prefix):
    raw, visible, hashed = new_token(kind)
    assert raw.startswith(prefix) and len(raw) == 4 + 30 + 6
    assert set(raw[4:]) <= set(BASE62)
    # The checksum recomputed independently: binascii's CRC32 of the random part, base62-decoded by hand.
    assert _decode_base62(raw[-6:]) == binascii.crc32(raw[4:34].encode())
    assert visible == raw[:12] and raw.startswith(visible)
    assert hashed == hashlib.sha256(raw.encode()).hexdigest() == token_hash(raw)
    assert looks_valid(raw)


def test_tokens_are_not_repeated():
    assert len({new_token("personal")[0] for _ in range(200)}) == 200


def test_every_single_character_typo_is_refused_by_the_checksum():
    raw = new_token("personal")[0]
    for position in range(4, len(raw)):
        replacement = "a" if raw[position] != "a" else "b"
        typo = raw[:position] + replacement + raw[position + 1:]
        assert not looks_valid(typo), (position, typo)


@pytest.mark.parametrize("mangle", [
    lambda raw: "ghp_" + raw[4:],  # another vendor's prefix
    lambda raw: raw[:-1],  # too short
    lambda raw: raw + "0",  # too long
    lambda raw: raw[:10] + "-" + raw[11:],  # outside base62
    lambda raw: "",
    lambda raw: None,
])
def test_malformed_tokens_are_refused(mangle):
    assert not looks_valid(mangle(new_token("service")[0]))


# -- the repository, on both databases --------------------------------------------------------
@pytest.fixture
def ada(store):
    return create_user(store, OPERATOR, "ada@example.org", PASSWORD, "editor")


def _raw_row(store, token_id) -> dict:
    return store.rows(sa.select(api_tokens_table).where(api_tokens_table.c.id == token_id))[0]


def test_only_the_hash_and_prefix_are_stored_and_audited(store, ada):
    raw, token = create_token(store, OPERATOR, ada, "nightly import", ["read", "write"], expires_days=30)
    row = _raw_row(store, token.id)
    assert row["token_hash"] == hashlib.sha256(raw.encode()).hexdigest()
    assert row["prefix"] == raw[:12] and row["scopes"] == "read write" and row["kind"] == "personal"
    secret_part = raw[12:]  # everything past the visible prefix
    assert not any(secret_part in str(value) for value in row.values())
    entries = store.rows(sa.select(audit_log).where(audit_log.c.action == "token.create"))
    assert len(entries) == 1 and entries[0]["resource_id"] == str(token.id)
    assert secret_part not in entries[0]["changes"] and row["token_hash"] not in entries[0]["changes"]
    assert '"nightly import"' in entries[0]["changes"] and raw[:12] in entries[0]["changes"]
    expected_expiry = datetime.now(timezone.utc) + timedelta(days=30)
    assert abs(token.expires_at - expected_expiry) < timedelta(minutes=1)


def test_a_valid_token_authenticates_its_user_and_records_the_use(store, ada):
    raw, token = create_token(store, OPERATOR, ada, "ci", ["read"])
    assert token.last_used_at is None and token.expires_at is None
    version = store.data_version()
    found = authenticate_token(store, raw, "personal")
    assert found is not None
    user, used = found
    assert (user.id, user.email, used.id, used.scopes) == (ada.id, "ada@example.org", token.id, ("read",))
    stored = _raw_row(store, token.id)["last_used_at"]
    assert stored is not None
    assert store.data_version() == version  # bookkeeping must not make every page refresh


def test_last_used_is_written_at_most_once_a_minute(store, ada):
    raw, token = create_token(store, OPERATOR, ada, "ci", ["read"])
    authenticate_token(store, raw, "personal")
    first = _aware(_raw_row(store, token.id)["last_used_at"])
    authenticate_token(store, raw, "personal")
    assert _aware(_raw_row(store, token.id)["last_used_at"]) == first
    two_minutes_ago = datetime.now(timezone.utc) - timedelta(minutes=2)
    with store.records() as conn:
        conn.execute(api_tokens_table.update().where(api_tokens_table.c.id == token.id)
                     .values(last_used_at=two_minutes_ago))
    authenticate_token(store, raw, "personal")
    refreshed = _aware(_raw_row(store, token.id)["last_used_at"])
    assert refreshed > two_minutes_ago + timedelta(seconds=100)


def test_service_keys_and_personal_tokens_do_not_stand_in_for_each_other(store, ada):
    personal, _ = create_token(store, OPERATOR, ada, "laptop", ["read"])
    service, _ = create_token(store, OPERATOR, ada, "etl", ["read"], kind="service")
    assert service.startswith("hlk_") and personal.startswith("hlp_")
    assert authenticate_token(store, personal, "service") is None
    assert authenticate_token(store, service, "personal") is None
    assert authenticate_token(store, service, "service")[0].id == ada.id


def test_a_row_whose_kind_differs_from_the_prefix_is_refused(store, ada):
    raw, token = create_token(store, OPERATOR, ada, "laptop", ["read"])
    with store.records() as conn:
        conn.execute(api_tokens_table.update().where(api_tokens_table.c.id == token.id).values(kind="service"))
    assert authenticate_token(store, raw, "personal") is None


def test_expired_tokens_are_refused(store, ada):
    raw, token = create_token(store, OPERATOR, ada, "short", ["read"], expires_days=1)
    assert authenticate_token(store, raw, "personal") is not None
    with store.records() as conn:
        conn.execute(api_tokens_table.update().where(api_tokens_table.c.id == token.id)
                     .values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
    assert authenticate_token(store, raw, "personal") is None
    assert list_tokens(store, ada.id)[0].status() == "expired"


def test_revoked_tokens_are_refused_and_revocation_is_audited_once(store, ada):
    raw, token = create_token(store, OPERATOR, ada, "ci", ["read"])
    revoked = revoke_token(store, OPERATOR, token.id)
    assert revoked.revoked_at is not None and revoked.status() == "revoked"
    assert authenticate_token(store, raw, "personal") is None
    revoke_token(store, OPERATOR, token.id)  # again: nothing changes
    actions = [row["action"] for row in store.rows(sa.select(audit_log.c.action).order_by(audit_log.c.id))]
    assert actions == ["user.create", "token.create", "token.revoke"]


def test_a_disabled_users_tokens_are_refused(store, ada):
    raw, _ = create_token(store, OPERATOR, ada, "ci", ["read"])
    set_active(store, OPERATOR, ada.email, False)
    assert authenticate_token(store, raw, "personal") is None
    set_active(store, OPERATOR, ada.email, True)
    assert authenticate_token(store, raw, "personal") is not None


def test_unknown_and_mistyped_tokens_are_refused_the_mistyped_without_a_lookup(store, ada):
    raw, _ = create_token(store, OPERATOR, ada, "ci", ["read"])
    assert authenticate_token(store, new_token("personal")[0], "personal") is None  # well-formed, unknown
    typo = raw[:20] + ("a" if raw[20] != "a" else "b") + raw[21:]
    reads = store.statement_stats()["read"]["count"]
    assert authenticate_token(store, typo, "personal") is None
    assert authenticate_token(store, "Bearer nonsense", "personal") is None
    assert store.statement_stats()["read"]["count"] == reads


def test_owners_revoke_only_their_own_tokens(store, ada):
    grace = create_user(store, OPERATOR, "grace@example.org", PASSWORD, "viewer")
    raw, token = create_token(store, OPERATOR, ada, "ci", ["read"])
    with pytest.raises(NotFound):
        revoke_token(store, grace.as_principal(), token.id, owner_id=grace.id)
    with pytest.raises(Forbidden):  # without owner_id only admins may
        revoke_token(store, grace.as_principal(), token.id)
    assert authenticate_token(store, raw, "personal") is not None
    revoke_token(store, ada.as_principal(), token.id, owner_id=ada.id)
    assert authenticate_token(store, raw, "personal") is None


def test_only_owners_and_admins_create_tokens(store, ada):
    grace = create_user(store, OPERATOR, "grace@example.org", PASSWORD, "viewer")
    with pytest.raises(Forbidden):
        create_token(store, grace.as_principal(), ada, "sneaky", ["read"])
    create_token(store, grace.as_principal(), grace, "mine", ["read"])
    assert [(t.user_id, t.name) for t in list_tokens(store)] == [(grace.id, "mine")]


def test_lists_are_per_user_or_everyones(store, ada):
    grace = create_user(store, OPERATOR, "grace@example.org", PASSWORD, "viewer")
    create_token(store, OPERATOR, ada, "one", ["read"])
    create_token(store, OPERATOR, grace, "two", ["read"])
    create_token(store, OPERATOR, ada, "three", ["export"])
    assert [t.name for t in list_tokens(store, ada.id)] == ["three", "one"]  # newest first
    assert [t.name for t in list_tokens(store, grace.id)] == ["two"]
    assert sorted(t.name for t in list_tokens(store)) == ["one", "three", "two"]


@pytest.mark.parametrize("field, arguments", [
    ("name", {"name": ""}),
    ("name", {"name": "   "}),
    ("name", {"name": "x" * 101}),
    ("scopes", {"scopes": []}),
    ("scopes", {"scopes": ["read", "delete"]}),
    ("scopes", {"scopes": ["admin"]}),  # ada is an editor: an admin scope could never be used
    ("expires_days", {"expires_days": 0}),
    ("expires_days", {"expires_days": 3651}),
    ("expires_days", {"expires_days": "7d"}),
    ("expires_days", {"expires_days": True}),
    ("kind", {"kind": "robot"}),
])
def test_bad_input_is_refused_naming_the_field_and_writes_nothing(store, ada, field, arguments):
    given = {"name": "ok", "scopes": ["read"], "expires_days": None, "kind": "personal"} | arguments
    with pytest.raises(BadRequest) as raised:
        create_token(store, OPERATOR, ada, given["name"], given["scopes"], given["expires_days"], given["kind"])
    assert [detail["field"] for detail in raised.value.details] == [field]
    assert list_tokens(store) == []


def test_limits_are_accepted_and_scopes_come_back_in_canonical_order(store, ada):
    _, token = create_token(store, OPERATOR, ada, "x" * 100, ["export", "read"], expires_days="3650")
    assert token.name == "x" * 100 and token.scopes == ("read", "export")
    assert abs(token.expires_at - (datetime.now(timezone.utc) + timedelta(days=3650))) < timedelta(minutes=1)
