"""The API token format: GitHub-style type prefix, 30 random base62 characters, a CRC32 checksum.

``hlp_`` marks a personal token (``Authorization: Bearer``), ``hlk_`` a service key
(``X-API-Key`` or ``?api_key=``). The checksum (CRC32 of the random part, 6 base62
characters) lets secret scanners recognise a leaked token and lets the server refuse a
mistyped one without a database lookup. Only the SHA-256 of a token is ever stored.
"""
from __future__ import annotations

import hashlib
import secrets
import string
import zlib

ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62
KIND_PREFIX = {"personal": "hlp_", "service": "hlk_"}
RANDOM_LENGTH = 30  # 30 base62 characters: about 178 bits
CHECKSUM_LENGTH = 6  # 62**6 > 2**32: every CRC32 fits
TOKEN_LENGTH = 4 + RANDOM_LENGTH + CHECKSUM_LENGTH
VISIBLE_LENGTH = 12  # "hlp_" and 8 random characters: enough to tell tokens apart in a list


def new_token(kind: str) -> tuple[str, str, str]:
    """A fresh token of ``kind`` ("personal" or "service"): (raw token, visible prefix, SHA-256 hex)."""
    random_part = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    raw = KIND_PREFIX[kind] + random_part + _checksum(random_part)
    return raw, raw[:VISIBLE_LENGTH], token_hash(raw)


def looks_valid(raw: str) -> bool:
    """True when ``raw`` has a known type prefix, the right length and alphabet, and a matching checksum."""
    if not isinstance(raw, str) or len(raw) != TOKEN_LENGTH or kind_of(raw) is None:
        return False
    body = raw[4:]
    if any(char not in ALPHABET for char in body):
        return False
    random_part, checksum = body[:RANDOM_LENGTH], body[RANDOM_LENGTH:]
    return secrets.compare_digest(checksum, _checksum(random_part))


def kind_of(raw: str) -> str | None:
    """"personal" or "service" from the token's type prefix; None for anything else."""
    for kind, prefix in KIND_PREFIX.items():
        if isinstance(raw, str) and raw.startswith(prefix):
            return kind
    return None


def token_hash(raw: str) -> str:
    """The SHA-256 hex digest stored in place of the token (a token has ~178 random bits: no salt needed)."""
    return hashlib.sha256(raw.encode()).hexdigest()


def _checksum(random_part: str) -> str:
    value = zlib.crc32(random_part.encode())
    digits = []
    for _ in range(CHECKSUM_LENGTH):
        value, digit = divmod(value, 62)
        digits.append(ALPHABET[digit])
    return "".join(reversed(digits))
