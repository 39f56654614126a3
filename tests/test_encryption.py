"""Hypothesis text at rest: Fernet tokens only (the raw column read directly holds no plaintext),
keys from HELIOS_ENCRYPTION_KEYS checked at start, typed errors for a missing or wrong key, the
demo key file, and rotate-keys re-encrypting under the first key in resumable batches."""
from __future__ import annotations

import json
import os
import stat

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from cryptography.fernet import Fernet, InvalidToken

from helios_dash.accounts.audit import verify_chain
from helios_dash.crypto import DEMO_KEY_FILE, EncryptionUnavailable, Keyring, keyring_for
from helios_dash.errors import ConfigurationError
from helios_dash.hypotheses import create_hypothesis, get_hypothesis
from helios_dash.hypotheses.commands import rotate_keys_command
from helios_dash.hypotheses.rotation import rotate_keys
from helios_dash.schema import domains, hypotheses
from helios_dash.settings import Settings
from helios_dash.store import open_store
from tests.auth import OPERATOR

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()
SECRET_TEXT = "Warm-started VQE improves convergence by 3x on H2 (secret-marker-7731)"


def add_domain(store, domain_id="quantum"):
    with store.write() as conn:
        conn.execute(domains.insert().values(id=domain_id, name=domain_id.title()))


def raw_tokens(url: str) -> dict[str, str]:
    """The text column as the database holds it, read with a connection of its own (not the store)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return dict(conn.execute(sa.text("SELECT id, text_encrypted FROM hypotheses")).all())
    finally:
        engine.dispose()


# -- settings ----------------------------------------------------------------------------
def test_keys_are_read_newest_first():
    settings = Settings.from_env({"HELIOS_ENCRYPTION_KEYS": f" {NEW} , {OLD}"})
    assert settings.encryption_keys == (NEW, OLD)
    assert Settings.from_env({}).encryption_keys == ()


@pytest.mark.parametrize("raw, position", [
    ("not-a-key", 1),
    (f"{NEW},short", 2),
    (f"{NEW},", 2),
    (NEW[:-4] + "!!!=", 1),  # right length, not base64
    ("QUJD" * 11, 1),  # 44 characters of base64, but 33 bytes
])
def test_a_malformed_key_stops_the_start_naming_its_position_never_its_value(raw, position):
    with pytest.raises(ConfigurationError) as caught:
        Settings.from_env({"HELIOS_ENCRYPTION_KEYS": raw})
    assert f"key {position} of" in caught.value.message
    for part in raw.split(","):
        if len(part) > 4:
            assert part not in caught.value.message


def test_the_same_key_twice_is_refused():
    with pytest.raises(ConfigurationError, match="same key twice"):
        Settings.from_env({"HELIOS_ENCRYPTION_KEYS": f"{NEW},{NEW}"})


# -- the keyring --------------------------------------------------------------------------
def test_a_token_opens_with_the_first_key_and_any_listed_key_decrypts():
    token = Keyring([OLD]).encrypt("x")
    both = Keyring([NEW, OLD])
    assert both.decrypt(token) == "x" and not both.is_current(token)
    rotated = both.rotate(token)
    assert Fernet(NEW.encode()).decrypt(rotated.encode()) == b"x" and both.is_current(rotated)


def test_a_wrong_key_is_a_typed_503_never_garbage():
    token = Keyring([OLD]).encrypt(SECRET_TEXT)
    with pytest.raises(EncryptionUnavailable) as caught:
        Keyring([NEW]).decrypt(token)
    assert caught.value.code == "ENCRYPTION_UNAVAILABLE" and caught.value.http_status == 503
    assert "HELIOS_ENCRYPTION_KEYS" in caught.value.message


def test_no_key_refuses_to_encrypt_rather_than_store_plaintext():
    with pytest.raises(EncryptionUnavailable, match="no key is configured"):
        Keyring([]).encrypt(SECRET_TEXT)


def test_outside_demo_mode_without_keys_there_is_no_keyring(tmp_path):
    keyring = keyring_for(Settings(database_url=f"duckdb:///{tmp_path / 'h.duckdb'}", demo_data=False))
    assert not keyring.available
    assert not (tmp_path / DEMO_KEY_FILE).exists()


def test_demo_mode_keeps_one_owner_only_key_beside_the_store(tmp_path):
    settings = Settings(database_url=f"duckdb:///{tmp_path / 'h.duckdb'}", demo_data=True)
    token = keyring_for(settings).encrypt("demo text")
    path = tmp_path / DEMO_KEY_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    key = path.read_text().strip()
    assert Fernet(key.encode()).decrypt(token.encode()) == b"demo text"
    assert key != Settings().secret_key
    # A second process (a fresh keyring) reads the same key back.
    assert Keyring([path.read_text().strip()]).decrypt(token) == "demo text"


def test_configured_keys_win_over_a_demo_key_file(tmp_path):
    (tmp_path / DEMO_KEY_FILE).write_text(OLD)
    settings = Settings(database_url=f"duckdb:///{tmp_path / 'h.duckdb'}", demo_data=True, encryption_keys=(NEW,))
    token = keyring_for(settings).encrypt("x")
    Fernet(NEW.encode()).decrypt(token.encode())
    with pytest.raises(InvalidToken):
        Fernet(OLD.encode()).decrypt(token.encode())


# -- at rest, on both databases ----------------------------------------------------------
def test_the_raw_column_holds_no_plaintext(store, store_url):
    add_domain(store)
    made = create_hypothesis(store, OPERATOR, SECRET_TEXT, "quantum", keyring=Keyring([NEW]))
    raw = raw_tokens(store_url)[made["id"]]
    assert "secret-marker-7731" not in raw and "VQE" not in raw
    assert Fernet(NEW.encode()).decrypt(raw.encode()).decode() == SECRET_TEXT  # the key alone opens it
    # Nor is it anywhere else in the database: the audit log and algorithm names keep ids, not text.
    engine = sa.create_engine(store_url)
    with engine.connect() as conn:
        audit_text = " ".join(row[0] for row in conn.execute(sa.text("SELECT changes FROM audit_log")))
    engine.dispose()
    assert "secret-marker" not in audit_text


def test_reading_with_a_wrong_key_is_the_typed_error(store):
    add_domain(store)
    made = create_hypothesis(store, OPERATOR, SECRET_TEXT, "quantum", keyring=Keyring([OLD]))
    with pytest.raises(EncryptionUnavailable):
        get_hypothesis(store, OPERATOR, made["id"], keyring=Keyring([NEW]))
    assert get_hypothesis(store, OPERATOR, made["id"], keyring=Keyring([NEW, OLD]))["hypothesis"] == SECRET_TEXT


def test_rotation_re_encrypts_under_the_first_key_in_batches_and_resumes(store, store_url, monkeypatch):
    add_domain(store)
    texts = [f"hypothesis number {i}" for i in range(7)]
    made = [create_hypothesis(store, OPERATOR, t, "quantum", keyring=Keyring([OLD]))["id"] for t in texts]
    both = Keyring([NEW, OLD])
    version = store.data_version()

    # The first run dies after its first committed batch (3 rows): those stay rotated.
    original, calls = Keyring.rotate, []

    def failing_rotate(self, token):
        calls.append(token)
        if len(calls) > 3:
            raise RuntimeError("power cut")
        return original(self, token)

    monkeypatch.setattr(Keyring, "rotate", failing_rotate)
    with pytest.raises(RuntimeError):
        rotate_keys(store, both, OPERATOR, batch=3)
    monkeypatch.undo()
    under_new = {i for i, token in raw_tokens(store_url).items() if both.is_current(token)}
    assert len(under_new) == 3

    result = rotate_keys(store, both, OPERATOR, batch=3)
    assert (result.checked, result.rotated, result.current) == (7, 4, 3)
    tokens = raw_tokens(store_url)
    new_only = Fernet(NEW.encode())
    assert sorted(new_only.decrypt(tokens[i].encode()).decode() for i in made) == sorted(texts)
    assert rotate_keys(store, both, OPERATOR, batch=3).rotated == 0  # a third run finds nothing to do
    assert store.data_version() == version  # no page shows a token: nothing to refresh
    assert verify_chain(store).ok


def test_rotation_re_encrypts_research_projects_too(store, store_url):
    """A research project's hypothesis list is a secret too: after rotation the new key alone opens it."""
    from helios_dash.research.service import new_project

    add_domain(store)
    texts = [SECRET_TEXT, "a second hypothesis"]
    project_id = new_project(store, OPERATOR, name="rotation", domain="quantum", validator="demo", texts=texts,
                             evidence=None, keyring=Keyring([OLD]))
    result = rotate_keys(store, Keyring([NEW, OLD]), OPERATOR)
    assert (result.checked, result.rotated) == (1, 1)  # no hypothesis rows yet: the project is the one secret
    engine = sa.create_engine(store_url)
    try:
        with engine.connect() as conn:
            token = conn.execute(sa.text("SELECT hypotheses_encrypted FROM research_projects WHERE id = :id"),
                                 {"id": project_id}).scalar_one()
    finally:
        engine.dispose()
    assert json.loads(Fernet(NEW.encode()).decrypt(token.encode())) == texts


def test_rotation_stops_at_a_row_no_key_opens(store):
    add_domain(store)
    create_hypothesis(store, OPERATOR, "x", "quantum", keyring=Keyring([OLD]))
    with pytest.raises(EncryptionUnavailable):
        rotate_keys(store, Keyring([NEW]), OPERATOR)


def test_the_rotate_keys_command(store_url, monkeypatch):
    store = open_store(store_url)
    add_domain(store)
    made = create_hypothesis(store, OPERATOR, SECRET_TEXT, "quantum", keyring=Keyring([OLD]))
    store.close()  # DuckDB: the command opens the file itself
    monkeypatch.setenv("HELIOS_DATABASE_URL", store_url)
    monkeypatch.setenv("HELIOS_ENCRYPTION_KEYS", f"{NEW},{OLD}")
    result = CliRunner().invoke(rotate_keys_command, ["--batch", "10"])
    assert result.exit_code == 0, result.output
    assert "Done: 1 re-encrypted, 0 already under the first key (1 encrypted rows" in result.output
    assert Fernet(NEW.encode()).decrypt(raw_tokens(store_url)[made["id"]].encode()).decode() == SECRET_TEXT

    monkeypatch.setenv("HELIOS_ENCRYPTION_KEYS", "broken")
    result = CliRunner().invoke(rotate_keys_command, [])
    assert result.exit_code == 1 and "key 1 of 1 is not a Fernet key" in result.output
    assert "Traceback" not in result.output


def test_hypotheses_table_declares_the_encrypted_column_only():
    assert "text_encrypted" in hypotheses.c and "text" not in hypotheses.c


def test_validating_with_a_wrong_key_leaves_the_hypothesis_as_it_was(store):
    from helios_dash.hypotheses import validate_hypothesis

    add_domain(store)
    made = create_hypothesis(store, OPERATOR, SECRET_TEXT, "quantum", keyring=Keyring([OLD]))
    version = store.data_version()
    with pytest.raises(EncryptionUnavailable):
        validate_hypothesis(store, OPERATOR, made["id"], "demo", keyring=Keyring([NEW]))
    assert store.rows(sa.select(hypotheses.c.status))[0]["status"] == "draft"
    assert store.data_version() == version
