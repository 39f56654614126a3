"""The plugin contract of the feature guide: ``Plugin.validate(hypothesis, domain) -> ValidationResult``.

A validator judges a hypothesis and answers a quality (0-100), a confidence (0-1), a speedup
(> 0, against the domain's baseline) and a number of tests (>= 0): the four numbers every
validation row holds. Plugins that need measurements (``benchmark``) override
``validate_evidence``; the guide's two-argument ``validate`` stays the one abstract method.
"""
from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ValidationResult:
    """What a validator found. Not checked on construction: the runner checks it (``problems``)."""

    quality: float
    confidence: float
    speedup: float
    tests: int
    details: dict = field(default_factory=dict)

    def problems(self) -> list[str]:
        """Why this result cannot be stored as a validation row (empty when it can)."""
        found = []
        numbers = {"quality": self.quality, "confidence": self.confidence, "speedup": self.speedup}
        for name, value in numbers.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                found.append(f"{name} must be a finite number, not {value!r}")
        if not found:
            if not 0 <= self.quality <= 100:
                found.append(f"quality must be between 0 and 100, not {self.quality!r}")
            if not 0 <= self.confidence <= 1:
                found.append(f"confidence must be between 0 and 1, not {self.confidence!r}")
            if not self.speedup > 0:
                found.append(f"speedup must be above 0, not {self.speedup!r}")
        if isinstance(self.tests, bool) or not isinstance(self.tests, int) or self.tests < 0:
            found.append(f"tests must be a whole number of at least 0, not {self.tests!r}")
        if not isinstance(self.details, dict):
            found.append("details must be a JSON object")
        return found


class Plugin(ABC):
    """A validator, discovered through the entry-point group ``helios_dash.validators``."""

    simulated = False  # True: its numbers are made up (the demo validator), and it says so

    @abstractmethod
    def validate(self, hypothesis: str, domain: str) -> ValidationResult:
        """Judge ``hypothesis`` (its text) in ``domain`` (a domain id)."""

    @abstractmethod
    def get_name(self) -> str:
        """The validator's name as people read it."""

    def validate_evidence(self, hypothesis: str, domain: str, evidence: dict | None) -> ValidationResult:
        """Judge with submitted ``evidence`` (measurements); plugins that take none ignore it."""
        return self.validate(hypothesis, domain)

    def describe(self) -> str:
        """One sentence on what this validator does (its class docstring's first line)."""
        doc = (type(self).__doc__ or "").strip()
        return doc.splitlines()[0] if doc else self.get_name()
