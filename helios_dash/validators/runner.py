"""Running a validator under a deadline: whatever it does, the caller gets a result or a reason.

The plugin runs on a thread of its own. A plugin that raises, runs past ``timeout`` seconds,
or answers something that is not an in-range ValidationResult gives ``Outcome.failed`` with a
one-line reason; the service then marks the hypothesis failed and writes no validation row.
A thread past its deadline cannot be killed in Python: it is a daemon, left to finish on its
own, and whatever it returns later is ignored.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from .base import ValidationResult
from .registry import Validator

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0  # seconds


@dataclass(frozen=True)
class Outcome:
    """A storable result, or the reason there is none."""

    result: ValidationResult | None = None
    reason: str | None = None

    @property
    def failed(self) -> bool:
        return self.result is None


def run_validator(validator: Validator, hypothesis: str, domain: str, evidence: dict | None = None,
                  timeout: float = DEFAULT_TIMEOUT) -> Outcome:
    """Run ``validator`` on one hypothesis within ``timeout`` seconds; never raises."""
    if validator.plugin is None:
        return Outcome(reason=f"validator {validator.key} is unavailable: {validator.error}")
    answer: dict = {}

    def work():
        try:
            answer["result"] = validator.plugin.validate_evidence(hypothesis, domain, evidence)
        except Exception as error:  # the plugin's failure is the validation's outcome
            log.info("Validator %s raised %s", validator.key, error, exc_info=True)
            answer["error"] = f"{type(error).__name__}: {error}"

    thread = threading.Thread(target=work, name=f"validator-{validator.key}", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        return Outcome(reason=f"validator {validator.key} did not answer within {timeout:g} s")
    if "error" in answer:
        return Outcome(reason=f"validator {validator.key} raised {answer['error']}"[:500])
    return checked(validator.key, answer.get("result"))


def checked(key: str, result) -> Outcome:
    """``result`` when it is a ValidationResult every validation row can hold; else the reason."""
    if not isinstance(result, ValidationResult):
        return Outcome(reason=f"validator {key} returned {type(result).__name__}, not a ValidationResult")
    problems = result.problems()
    if problems:
        return Outcome(reason=f"validator {key} returned out-of-range values: " + "; ".join(problems))
    return Outcome(result=result)
