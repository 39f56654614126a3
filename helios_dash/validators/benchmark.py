"""The ``benchmark`` validator: statistics over submitted timings and test results.

Evidence (JSON): ``baseline_timings`` and ``candidate_timings`` (seconds per run, each 2 to
1,000 positive numbers), ``tests_passed`` and ``tests_total`` (whole numbers, 1 <= total).

- speedup = median(baseline) / median(candidate): above 1 when the candidate is faster. Its 95%
  interval is a percentile bootstrap: 2,000 resamples of each group (with replacement,
  independently), seed 20261201, so the same evidence always gives the same interval.
- confidence = 1 - p of a one-sided Mann-Whitney U test (scipy), H1: candidate timings are
  stochastically smaller than baseline timings. No distribution is assumed.
- quality = 100 x pass_rate x (0.5 + 0.5 x min(1, log2(max(speedup_low, 1)) / 2)), where
  pass_rate = tests_passed / tests_total and speedup_low is the interval's lower end: a correct
  candidate with no proven gain scores 50, a proven 2x 75, a proven 4x or more 100; failing
  tests scale it down proportionally.
- tests = tests_total.
"""
from __future__ import annotations

import math

import numpy as np

from .base import Plugin, ValidationResult

RESAMPLES = 2_000
SEED = 20261201
MIN_RUNS, MAX_RUNS = 2, 1_000
TEST_NAME = "Mann-Whitney U, one-sided (H1: candidate timings smaller)"
QUALITY_FORMULA = "100 * pass_rate * (0.5 + 0.5 * min(1, log2(max(speedup_low, 1)) / 2))"


class EvidenceError(ValueError):
    """Evidence the benchmark cannot use; the message names the field."""


class BenchmarkValidator(Plugin):
    """Speedup, interval, confidence and quality computed from submitted timings and test counts."""

    def get_name(self) -> str:
        return "Benchmark"

    def validate(self, hypothesis: str, domain: str) -> ValidationResult:
        raise EvidenceError("the benchmark validator needs evidence: baseline_timings, candidate_timings, "
                            "tests_passed and tests_total")

    def validate_evidence(self, hypothesis: str, domain: str, evidence: dict | None) -> ValidationResult:
        if not evidence:
            return self.validate(hypothesis, domain)
        baseline = timings(evidence, "baseline_timings")
        candidate = timings(evidence, "candidate_timings")
        passed, total = tests_of(evidence)
        return benchmark(baseline, candidate, passed, total)


def benchmark(baseline: np.ndarray, candidate: np.ndarray, passed: int, total: int) -> ValidationResult:
    """The statistics of the module docstring."""
    from scipy.stats import mannwhitneyu  # here: scipy.stats takes 0.6 s to import, the command line need not

    speedup = float(np.median(baseline) / np.median(candidate))
    low, high = bootstrap_interval(baseline, candidate)
    test = mannwhitneyu(candidate, baseline, alternative="less")
    pass_rate = passed / total
    quality = 100 * pass_rate * (0.5 + 0.5 * min(1.0, math.log2(max(low, 1.0)) / 2))
    return ValidationResult(
        quality=quality, confidence=1 - float(test.pvalue), speedup=speedup, tests=total,
        details={
            "median_baseline": float(np.median(baseline)), "median_candidate": float(np.median(candidate)),
            "speedup_interval": [low, high], "interval": "95% percentile bootstrap",
            "bootstrap_resamples": RESAMPLES, "seed": SEED,
            "test": TEST_NAME, "u_statistic": float(test.statistic), "p_value": float(test.pvalue),
            "tests_passed": passed, "tests_total": total, "pass_rate": pass_rate,
            "quality_formula": QUALITY_FORMULA, "runs": [len(baseline), len(candidate)],
        })


def bootstrap_interval(baseline: np.ndarray, candidate: np.ndarray) -> tuple[float, float]:
    """The 2.5th and 97.5th percentiles of the ratio of medians over RESAMPLES seeded resamples."""
    rng = np.random.default_rng(SEED)
    base = np.median(rng.choice(baseline, size=(RESAMPLES, len(baseline)), replace=True), axis=1)
    cand = np.median(rng.choice(candidate, size=(RESAMPLES, len(candidate)), replace=True), axis=1)
    low, high = np.percentile(base / cand, [2.5, 97.5])
    return float(low), float(high)


def timings(evidence: dict, field: str) -> np.ndarray:
    """``evidence[field]`` as positive finite seconds, MIN_RUNS to MAX_RUNS of them."""
    values = evidence.get(field)
    if not isinstance(values, list) or not MIN_RUNS <= len(values) <= MAX_RUNS:
        raise EvidenceError(f"{field} must be a list of {MIN_RUNS} to {MAX_RUNS} timings in seconds")
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0 for v in values):
        raise EvidenceError(f"{field} must hold positive numbers of seconds only")
    return np.asarray(values, dtype=float)


def tests_of(evidence: dict) -> tuple[int, int]:
    """(tests_passed, tests_total): whole numbers with 0 <= passed <= total and total >= 1."""
    passed, total = evidence.get("tests_passed"), evidence.get("tests_total")
    for name, value in (("tests_passed", passed), ("tests_total", total)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise EvidenceError(f"{name} must be a whole number of at least 0")
    if total < 1 or passed > total:
        raise EvidenceError("tests_total must be at least 1 and at least tests_passed")
    return passed, total
