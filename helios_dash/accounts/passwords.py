"""Password hashing with argon2id (argon2-cffi's defaults, RFC 9106's low-memory profile)."""
from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..errors import BadRequest

MIN_LENGTH = 12
MAX_LENGTH = 1024  # argon2 hashes anything, but a megabyte "password" is a denial of service
_hasher = PasswordHasher()  # stateless and thread-safe
# Verified against when the account does not exist, so that a wrong email costs as much as a
# wrong password and the answer's timing does not tell which it was.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def check_password_rules(password: str) -> None:
    """BadRequest naming the field when ``password`` is too short or too long."""
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise BadRequest(f"A password needs at least {MIN_LENGTH} characters.",
                         [{"field": "password", "message": f"at least {MIN_LENGTH} characters"}])
    if len(password) > MAX_LENGTH:
        raise BadRequest(f"A password may have at most {MAX_LENGTH} characters.",
                         [{"field": "password", "message": f"at most {MAX_LENGTH} characters"}])


def hash_password(password: str) -> str:
    """The argon2id PHC string of ``password`` (salted)."""
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> tuple[bool, str | None]:
    """(matches, new hash when the stored one used older parameters, else None).

    ``stored_hash`` None (no such account) still costs one verification.
    """
    if len(password) > MAX_LENGTH:
        return False, None
    try:
        _hasher.verify(stored_hash or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False, None
    if stored_hash is None:
        return False, None
    return True, (_hasher.hash(password) if _hasher.check_needs_rehash(stored_hash) else None)


def generate_password() -> str:
    """A random 20-character password (about 119 bits), for ``users add`` without --password-stdin."""
    return secrets.token_urlsafe(15)
