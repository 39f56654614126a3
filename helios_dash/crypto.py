"""Encryption at rest of hypothesis text: Fernet through MultiFernet, keys from HELIOS_ENCRYPTION_KEYS.

The first key encrypts; every key decrypts, so a new key goes first ("new,old") and
``helios-dash rotate-keys`` re-encrypts every row under it before the old one is dropped.
Keys are never derived from HELIOS_SECRET_KEY: rotating one must not touch the other.

Demo mode (HELIOS_DEMO_DATA on, no keys set) keeps a generated key in the data folder
(``encryption.key`` beside the DuckDB file, or ``data/`` for PostgreSQL), readable by the
owner only, so a fresh install runs the guide's example. Outside demo mode, no keys means
hypotheses answer ENCRYPTION_UNAVAILABLE (503), never plaintext in the database.
"""
from __future__ import annotations

import functools
import logging
import os
from pathlib import Path

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from .errors import HeliosError
from .settings import PROJECT_ROOT, Settings

log = logging.getLogger(__name__)

DEMO_KEY_FILE = "encryption.key"


class EncryptionUnavailable(HeliosError):
    """No key is configured, or none of the configured keys opens a stored value."""

    code = "ENCRYPTION_UNAVAILABLE"
    http_status = 503


class Keyring:
    """The configured keys, newest first: ``encrypt`` with the first, ``decrypt`` with any."""

    def __init__(self, keys: tuple[str, ...] | list[str], source: str = "HELIOS_ENCRYPTION_KEYS"):
        self.source = source
        self._fernets = [Fernet(key) for key in keys]
        self._multi = MultiFernet(self._fernets) if self._fernets else None

    @property
    def available(self) -> bool:
        return self._multi is not None

    def _require(self) -> MultiFernet:
        if self._multi is None:
            raise EncryptionUnavailable(
                "Hypothesis text is encrypted at rest and no key is configured: set HELIOS_ENCRYPTION_KEYS "
                "to a Fernet key (python -c \"from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())\").")
        return self._multi

    def encrypt(self, text: str) -> str:
        """A Fernet token (ASCII) of ``text`` under the first key."""
        return self._require().encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """The text of ``token``; EncryptionUnavailable when no configured key opens it (never garbage)."""
        try:
            return self._require().decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            raise EncryptionUnavailable(
                f"A stored hypothesis cannot be decrypted with the keys in {self.source}: a key it was "
                "written with is missing (add the old key after the new one, then run helios-dash rotate-keys).",
            ) from None

    def is_current(self, token: str) -> bool:
        """True when the first key alone opens ``token`` (rotation has nothing to do for it)."""
        self._require()
        try:
            self._fernets[0].decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeError):
            return False
        return True

    def rotate(self, token: str) -> str:
        """``token`` re-encrypted under the first key; EncryptionUnavailable if no key opens it."""
        return self.encrypt(self.decrypt(token))


def data_folder(settings: Settings) -> Path:
    """Where demo mode keeps its key: beside the DuckDB file, else the project's data folder."""
    url = sa.engine.make_url(settings.database_url)
    if url.get_backend_name() == "duckdb" and url.database and url.database != ":memory:":
        return Path(url.database).resolve().parent
    return PROJECT_ROOT / "data"


def demo_key(folder: Path) -> str:
    """The demo key in ``folder``, generated (mode 0600) on first use; two processes agree on one."""
    path = folder / DEMO_KEY_FILE
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first: use theirs
        else:
            with os.fdopen(descriptor, "w") as out:
                out.write(Fernet.generate_key().decode("ascii") + "\n")
            log.warning("Demo mode: generated an encryption key for hypotheses at %s; set "
                        "HELIOS_ENCRYPTION_KEYS for a real deployment.", path)
    return path.read_text().strip()


def keyring_for(settings: Settings) -> Keyring:
    """The keyring ``settings`` describe (configured keys; the demo key in demo mode; else none)."""
    if settings.encryption_keys:
        return _keyring(settings.encryption_keys, "HELIOS_ENCRYPTION_KEYS")
    if settings.demo_data:
        path = data_folder(settings) / DEMO_KEY_FILE
        return _keyring((demo_key(path.parent),), f"the demo key file {path}")
    return _keyring((), "HELIOS_ENCRYPTION_KEYS")


@functools.lru_cache(maxsize=16)
def _keyring(keys: tuple[str, ...], source: str) -> Keyring:
    return Keyring(keys, source)
