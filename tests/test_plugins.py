"""Validator plugins: the result contract, the benchmark's statistics against independent
computations, the demo validator, the runner's deadline and checks, and entry-point discovery
of the example third-party package after a real ``pip install``."""
from __future__ import annotations

import importlib
import itertools
import math
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from helios_dash.validators import Plugin, PluginManager, ValidationResult, plugin_manager, run_validator
from helios_dash.validators.benchmark import RESAMPLES, SEED, BenchmarkValidator, EvidenceError
from helios_dash.validators.demo import DemoValidator
from helios_dash.validators.registry import Validator

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "helios-validator-example"


def evidence(baseline, candidate, passed=10, total=10) -> dict:
    return {"baseline_timings": list(baseline), "candidate_timings": list(candidate),
            "tests_passed": passed, "tests_total": total}


# -- the result contract ------------------------------------------------------------------
@pytest.mark.parametrize("fields, problem", [
    (dict(quality=101), "quality must be between 0 and 100"),
    (dict(quality=-0.1), "quality must be between 0 and 100"),
    (dict(confidence=1.5), "confidence must be between 0 and 1"),
    (dict(speedup=0), "speedup must be above 0"),
    (dict(speedup=-2), "speedup must be above 0"),
    (dict(tests=-1), "tests must be a whole number"),
    (dict(tests=2.5), "tests must be a whole number"),
    (dict(quality=float("nan")), "quality must be a finite number"),
    (dict(speedup=float("inf")), "speedup must be a finite number"),
    (dict(confidence="high"), "confidence must be a finite number"),
    (dict(quality=True), "quality must be a finite number"),
    (dict(details=["x"]), "details must be a JSON object"),
])
def test_a_result_out_of_range_names_its_problem(fields, problem):
    result = ValidationResult(**({"quality": 50.0, "confidence": 0.5, "speedup": 1.0, "tests": 3} | fields))
    assert any(problem in found for found in result.problems())


def test_a_result_at_the_edges_of_its_ranges_is_fine():
    assert ValidationResult(quality=0, confidence=1, speedup=1e-9, tests=0).problems() == []
    assert ValidationResult(quality=100.0, confidence=0.0, speedup=1000.0, tests=10**6).problems() == []


# -- benchmark: statistics checked by hand and against independent computations -----------------
def exact_one_sided_p(candidate, baseline) -> float:
    """P(U <= observed) under H0 by enumerating every split of the pooled runs (no ties in the data)."""
    pooled = list(candidate) + list(baseline)
    n = len(candidate)

    def u_of(sample):  # pairs (candidate, baseline) where the candidate is larger
        rest = list(pooled)
        for value in sample:
            rest.remove(value)
        return sum(c > b for c in sample for b in rest)

    observed = u_of(candidate)
    splits = [u_of(sample) for sample in itertools.combinations(pooled, n)]
    return sum(u <= observed for u in splits) / len(splits)


def test_benchmark_speedup_is_the_ratio_of_medians_and_confidence_the_exact_mann_whitney_test():
    baseline, candidate = [1.1, 2.2, 3.3, 4.4, 5.5], [0.5, 1.5, 2.0]
    result = BenchmarkValidator().validate_evidence("h", "quantum", evidence(baseline, candidate, 7, 8))
    assert result.speedup == pytest.approx(3.3 / 1.5)  # medians 3.3 and 1.5
    # U = pairs where the candidate is slower: 1.5 > 1.1, 2.0 > 1.1 -> 2
    assert result.details["u_statistic"] == 2
    p = exact_one_sided_p(candidate, baseline)  # 56 splits of the 8 runs
    assert p == pytest.approx(4 / 56)  # U <= 2 in 4 of the 56 splits (counted by hand: U=0 once, 1 once, 2 twice)
    assert result.confidence == pytest.approx(1 - p)
    assert result.tests == 8 and result.details["pass_rate"] == pytest.approx(7 / 8)


def bootstrap_by_loop(baseline, candidate) -> tuple[float, float]:
    """The stated procedure written out: RESAMPLES resamples of each group from one seeded generator
    (all baseline resamples first), the ratio of medians, then linearly interpolated percentiles."""
    rng = np.random.default_rng(SEED)
    base = [np.median(rng.choice(baseline, size=len(baseline))) for _ in range(RESAMPLES)]
    cand = [np.median(rng.choice(candidate, size=len(candidate))) for _ in range(RESAMPLES)]
    ratios = sorted(b / c for b, c in zip(base, cand))

    def percentile(q):
        position = q / 100 * (len(ratios) - 1)
        below = math.floor(position)
        return ratios[below] + (ratios[min(below + 1, len(ratios) - 1)] - ratios[below]) * (position - below)

    return percentile(2.5), percentile(97.5)


def test_benchmark_interval_is_the_seeded_percentile_bootstrap_and_repeats():
    rng = np.random.default_rng(7)
    baseline, candidate = rng.lognormal(0.0, 0.2, 25), rng.lognormal(-0.7, 0.2, 30)
    first = BenchmarkValidator().validate_evidence("h", "d", evidence(baseline, candidate))
    again = BenchmarkValidator().validate_evidence("h", "d", evidence(baseline, candidate))
    low, high = first.details["speedup_interval"]
    assert (low, high) == pytest.approx(bootstrap_by_loop(baseline, candidate), rel=1e-12)
    assert again.details["speedup_interval"] == [low, high]
    assert low < first.speedup < high


@pytest.mark.parametrize("baseline, candidate, passed, total, quality", [
    ([4.0] * 5, [1.0] * 5, 9, 10, 90.0),  # proven 4x: full gain, 90% of tests pass
    ([2.0] * 5, [1.0] * 5, 10, 10, 75.0),  # proven 2x: 0.5 + 0.5 * (1 / 2)
    ([1.0] * 5, [1.0] * 5, 10, 10, 50.0),  # correct, no gain
    ([1.0] * 5, [3.0] * 5, 5, 10, 25.0),  # slower: no gain, half the tests
    ([16.0] * 3, [1.0] * 3, 0, 4, 0.0),  # nothing passes
])
def test_benchmark_quality_follows_the_documented_formula(baseline, candidate, passed, total, quality):
    result = BenchmarkValidator().validate_evidence("h", "d", evidence(baseline, candidate, passed, total))
    # Constant runs: every resample has the same medians, so the interval is the point itself.
    assert result.details["speedup_interval"] == pytest.approx([baseline[0] / candidate[0]] * 2)
    assert result.quality == pytest.approx(quality)
    assert result.problems() == []


@pytest.mark.parametrize("bad, message", [
    (None, "needs evidence"),
    ({}, "needs evidence"),
    (evidence([1.0], [1.0, 2.0]), "baseline_timings must be a list of 2"),
    (evidence([1.0, 2.0], [1.0, -2.0]), "candidate_timings must hold positive numbers"),
    (evidence([1.0, 2.0], [1.0, float("nan")]), "candidate_timings must hold positive numbers"),
    (evidence([1.0, 2.0], [1.0, True]), "candidate_timings must hold positive numbers"),
    (evidence([1.0, 2.0], [1.0, 2.0], 11, 10), "tests_total must be at least 1 and at least tests_passed"),
    (evidence([1.0, 2.0], [1.0, 2.0], 0, 0), "tests_total must be at least 1"),
    (evidence([1.0, 2.0], [1.0, 2.0], -1, 3), "tests_passed must be a whole number"),
    ({"baseline_timings": "fast", "candidate_timings": [1, 2], "tests_passed": 1, "tests_total": 1},
     "baseline_timings must be a list"),
])
def test_benchmark_refuses_unusable_evidence_naming_the_field(bad, message):
    with pytest.raises(EvidenceError, match=message):
        BenchmarkValidator().validate_evidence("h", "d", bad)


# -- demo -------------------------------------------------------------------------------
def test_demo_is_deterministic_labelled_simulated_and_in_range():
    demo = DemoValidator()
    first = demo.validate("Warm-started VQE improves convergence", "quantum")
    assert first == demo.validate("Warm-started VQE improves convergence", "quantum")
    assert first != demo.validate("Warm-started VQE improves convergence!", "quantum")
    assert first.details["simulated"] is True and "not a measurement" in first.details["note"]
    assert demo.simulated and first.problems() == []
    for text in (f"hypothesis {i}" for i in range(200)):
        assert demo.validate(text, "d").problems() == []


# -- the runner ---------------------------------------------------------------------------
class Scripted(Plugin):
    """A plugin that does what the test says."""

    def __init__(self, action):
        self.action = action

    def get_name(self):
        return "scripted"

    def validate(self, hypothesis, domain):
        return self.action()


def validator(action) -> Validator:
    return Validator("scripted", "test", Scripted(action))


def test_the_runner_turns_a_raising_plugin_into_a_reason():
    outcome = run_validator(validator(lambda: 1 / 0), "h", "d")
    assert outcome.failed and "raised ZeroDivisionError" in outcome.reason


def test_the_runner_gives_up_on_a_hanging_plugin_at_its_deadline():
    started = time.monotonic()
    outcome = run_validator(validator(lambda: time.sleep(5)), "h", "d", timeout=0.2)
    assert time.monotonic() - started < 2
    assert outcome.failed and "did not answer within 0.2 s" in outcome.reason


@pytest.mark.parametrize("answer, reason", [
    (ValidationResult(quality=150, confidence=0.5, speedup=1, tests=1), "out-of-range values: quality"),
    (ValidationResult(quality=50, confidence=0.5, speedup=0, tests=1), "out-of-range values: speedup"),
    ({"quality": 50}, "returned dict, not a ValidationResult"),
    (None, "returned NoneType"),
])
def test_the_runner_refuses_what_no_validation_row_may_hold(answer, reason):
    outcome = run_validator(validator(lambda: answer), "h", "d")
    assert outcome.failed and reason in outcome.reason


def test_the_runner_passes_a_good_result_through():
    good = ValidationResult(quality=80, confidence=0.9, speedup=2.0, tests=4, details={"k": 1})
    assert run_validator(validator(lambda: good), "h", "d").result == good


def test_an_unavailable_validator_fails_with_its_load_error():
    outcome = run_validator(Validator("broken", "x", error="ImportError: no module"), "h", "d")
    assert outcome.failed and "unavailable: ImportError" in outcome.reason


# -- discovery ------------------------------------------------------------------------------
def test_the_built_ins_are_there_without_installing_anything():
    manager = PluginManager().discover()
    described = {v.key: v.describe() for v in manager.all()}
    assert described["benchmark"]["available"] and not described["benchmark"]["simulated"]
    assert described["demo"]["available"] and described["demo"]["simulated"]


def test_the_guides_register_call_adds_a_plugin():
    manager = PluginManager()
    key = manager.register(Scripted(lambda: None))
    assert key == "scripted" and manager.get("scripted").plugin is not None
    with pytest.raises(TypeError):
        manager.register(object())


@pytest.fixture
def installed_example(tmp_path, monkeypatch):
    """The example plugin package installed by pip (from a copy, so its folder stays clean) into a
    target folder put on sys.path: a real installation with its dist-info and entry points, without
    changing the shared virtualenv."""
    source = tmp_path / "source"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-index", "--target", str(target), str(source)], check=True, timeout=120)
    monkeypatch.syspath_prepend(str(target))
    importlib.invalidate_caches()
    yield target
    sys.modules.pop("helios_validator_example", None)
    monkeypatch.undo()
    plugin_manager(refresh=True)  # later tests see the environment without it


def test_the_example_package_is_found_through_its_entry_point_and_runs(installed_example):
    found = plugin_manager(refresh=True).get("claims")
    assert found is not None and found.plugin is not None
    assert found.source == "helios-validator-example"
    assert type(found.plugin).__module__ == "helios_validator_example"
    assert Path(sys.modules["helios_validator_example"].__file__).is_relative_to(installed_example)
    outcome = run_validator(found, "Warm-started VQE converges 2x faster than cold-started VQE", "quantum")
    assert outcome.result.quality == pytest.approx(100.0)  # a number, a comparison and a baseline
    assert run_validator(found, "VQE is nice", "quantum").result.quality == 0.0


def test_a_plugin_that_fails_to_load_is_listed_unavailable(tmp_path, monkeypatch):
    site = tmp_path / "site"
    info = site / "helios_broken_plugin-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: helios-broken-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[helios_dash.validators]\nbroken = no_such_module_here:Plugin\n")
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    manager = PluginManager().discover()
    broken = manager.get("broken")
    assert broken.plugin is None and "ModuleNotFoundError" in broken.error
    assert broken.describe()["available"] is False
    assert manager.get("demo").plugin is not None  # the others still load
