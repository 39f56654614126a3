"""An example HELIOS validator plugin: how testable is the claim as worded?"""
from __future__ import annotations

import re

from helios_dash.validators import Plugin, ValidationResult

CHECKS = {
    "a number": re.compile(r"\d"),
    "a comparison": re.compile(r"\b(faster|slower|better|fewer|more|less|improves?|reduces?|outperforms?)\b", re.I),
    "a baseline": re.compile(r"\b(than|over|versus|vs\.?|baseline)\b", re.I),
}


class ClaimValidator(Plugin):
    """Scores how testable the hypothesis is worded: a number, a comparison, a baseline."""

    def get_name(self) -> str:
        return "Claim wording (example plugin)"

    def validate(self, hypothesis: str, domain: str) -> ValidationResult:
        met = [name for name, pattern in CHECKS.items() if pattern.search(hypothesis)]
        return ValidationResult(quality=100 * len(met) / len(CHECKS), confidence=0.5, speedup=1.0,
                                tests=len(CHECKS), details={"criteria_met": met, "simulated": False})
