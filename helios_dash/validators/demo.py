"""The ``demo`` validator: simulated numbers, deterministic from the hypothesis text and domain.

It measures nothing: its results carry ``details.simulated = true`` and say so in a note. It lets
the guide's example (POST /api/v1/hypotheses/validate with only a text and a domain) work on a
fresh install; ``benchmark`` is the validator that measures.
"""
from __future__ import annotations

import hashlib

from .base import Plugin, ValidationResult

NOTE = "Simulated by the demo validator from the hypothesis text: not a measurement."


class DemoValidator(Plugin):
    """Simulated results, the same for the same text and domain (labelled simulated)."""

    simulated = True

    def get_name(self) -> str:
        return "Demo (simulated)"

    def validate(self, hypothesis: str, domain: str) -> ValidationResult:
        digest = hashlib.sha256(f"{domain}\n{hypothesis}".encode("utf-8")).digest()
        # Four independent fractions in [0, 1) from disjoint bytes of the digest.
        u = [int.from_bytes(digest[i:i + 4], "big") / 2**32 for i in (0, 4, 8, 12)]
        return ValidationResult(
            quality=round(40 + 55 * u[0], 2),
            confidence=round(0.5 + 0.49 * u[1], 3),
            speedup=round(0.8 + 3.2 * u[2], 3),
            tests=5 + int(26 * u[3]),
            details={"simulated": True, "note": NOTE},
        )
