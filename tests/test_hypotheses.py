"""The hypotheses service on both databases: who may write, the guide's validation error, redaction
of internal notes, and validations that land as rows (with their audit entry, in one transaction)
or as a failure with its reason, never a bad row."""
from __future__ import annotations

import json
import time
from datetime import timedelta

import numpy as np
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from helios_dash.accounts.audit import list_entries, verify_chain
from helios_dash.accounts.clock import now
from helios_dash.crypto import Keyring
from helios_dash.data.rollups import check_rollups
from helios_dash.errors import BadRequest, Conflict, Forbidden, NotFound
from helios_dash.hypotheses import create_hypothesis, get_hypothesis, list_hypotheses, validate_hypothesis
from helios_dash.schema import algorithms, domains, hypotheses, validations
from helios_dash.validators import Plugin, PluginManager, ValidationResult
from tests.auth import ensure_user

KEYRING = Keyring([Fernet.generate_key().decode()])
TEXT = "Warm-started VQE improves convergence"


def principal(store, role):
    return ensure_user(store, role).as_principal()


@pytest.fixture
def quantum(store):
    with store.write() as conn:
        conn.execute(domains.insert(), [{"id": "quantum", "name": "Quantum"}, {"id": "genomics", "name": "Genomics"}])
    return store


def count(store, table, *where) -> int:
    return store.scalar(sa.select(sa.func.count()).select_from(table).where(*where))


def test_an_editor_creates_a_draft_with_its_audit_entry(quantum):
    store, editor = quantum, principal(quantum, "editor")
    version = store.data_version()
    made = create_hypothesis(store, editor, f"  {TEXT} ", "quantum", keyring=KEYRING, internal_notes="ask Ada")
    assert made["id"].startswith("hyp_") and len(made["id"]) == 36
    assert (made["hypothesis"], made["domain"], made["status"]) == (TEXT, "quantum", "draft")
    assert made["author_id"] == editor.user_id and made["internal_notes"] == "ask Ada"
    assert made["validations"] == [] and made["created_at"] == made["updated_at"]
    assert store.data_version() == version + 1
    entries, total = list_entries(store, action="hypothesis.create")
    assert total == 1 and entries[0]["resource_id"] == made["id"] and entries[0]["actor"] == editor.actor
    assert entries[0]["changes"] == {"domain": "quantum", "status": "draft", "internal_notes": True}


def test_a_viewer_may_not_create_or_validate(quantum):
    viewer = principal(quantum, "viewer")
    with pytest.raises(Forbidden):
        create_hypothesis(quantum, viewer, TEXT, "quantum", keyring=KEYRING)
    made = create_hypothesis(quantum, principal(quantum, "editor"), TEXT, "quantum", keyring=KEYRING)
    with pytest.raises(Forbidden):
        validate_hypothesis(quantum, viewer, made["id"], "demo", keyring=KEYRING)
    assert count(quantum, hypotheses) == 1 and count(quantum, validations) == 0


@pytest.mark.parametrize("text", [None, "", "   ", 42])
def test_missing_text_is_the_guides_validation_error(quantum, text):
    with pytest.raises(BadRequest) as caught:
        create_hypothesis(quantum, principal(quantum, "editor"), text, "quantum", keyring=KEYRING)
    error = caught.value
    assert (error.code, error.message) == ("VALIDATION_ERROR", "Hypothesis text is required")
    assert error.details == [{"field": "hypothesis", "message": "Cannot be empty"}]
    assert count(quantum, hypotheses) == 0


def test_an_unknown_domain_names_the_field_and_the_known_ones(quantum):
    with pytest.raises(BadRequest) as caught:
        create_hypothesis(quantum, principal(quantum, "editor"), TEXT, "astrology", keyring=KEYRING)
    assert caught.value.details == [{"field": "domain", "message": "one of genomics, quantum"}]


def test_internal_notes_are_for_editors_only(quantum):
    made = create_hypothesis(quantum, principal(quantum, "editor"), TEXT, "quantum", keyring=KEYRING,
                             internal_notes="budget: 2 GPUs")
    seen = get_hypothesis(quantum, principal(quantum, "viewer"), made["id"], keyring=KEYRING)
    assert "internal_notes" not in seen and seen["hypothesis"] == TEXT
    listed, _ = list_hypotheses(quantum, principal(quantum, "viewer"), keyring=KEYRING)
    assert "internal_notes" not in listed[0]
    assert get_hypothesis(quantum, principal(quantum, "admin"), made["id"], keyring=KEYRING)["internal_notes"] == \
        "budget: 2 GPUs"


def test_an_unknown_id_is_not_found(quantum):
    with pytest.raises(NotFound):
        get_hypothesis(quantum, principal(quantum, "viewer"), "hyp_nope", keyring=KEYRING)
    with pytest.raises(NotFound):
        validate_hypothesis(quantum, principal(quantum, "editor"), "hyp_nope", "demo", keyring=KEYRING)


def test_listing_is_newest_first_filtered_and_counted(quantum):
    editor = principal(quantum, "editor")
    made = [create_hypothesis(quantum, editor, f"h{i}", "quantum" if i % 2 else "genomics", keyring=KEYRING)["id"]
            for i in range(5)]
    page, total = list_hypotheses(quantum, editor, keyring=KEYRING, limit=2, offset=1)
    assert total == 5 and [h["id"] for h in page] == [made[3], made[2]]
    only, total = list_hypotheses(quantum, editor, keyring=KEYRING, domain="quantum")
    assert total == 2 and {h["hypothesis"] for h in only} == {"h1", "h3"}
    with pytest.raises(BadRequest):
        list_hypotheses(quantum, editor, keyring=KEYRING, status="maybe")


def test_a_validation_writes_a_row_under_the_hypothesis_algorithm_and_updates_rollups(quantum):
    store, editor = quantum, principal(quantum, "editor")
    made = create_hypothesis(store, editor, TEXT, "quantum", keyring=KEYRING)
    version = store.data_version()
    done = validate_hypothesis(store, editor, made["id"], "demo", keyring=KEYRING)
    assert done["status"] == "validated" and done["validator"] == "demo" and done["failure_reason"] is None
    assert done["result"]["simulated"] is True and done["result"]["details"]["simulated"] is True
    rows = store.rows(sa.select(validations).where(validations.c.hypothesis_id == made["id"]))
    assert len(rows) == 1
    row = rows[0]
    assert (row["validator"], row["algorithm_id"], row["domain_id"]) == ("demo", made["id"], "quantum")
    assert (row["quality"], row["confidence"], row["speedup"], row["tests"]) == (
        done["result"]["quality"], done["result"]["confidence"], done["result"]["speedup"], done["result"]["tests"])
    algorithm = store.rows(sa.select(algorithms).where(algorithms.c.id == made["id"]))[0]
    assert algorithm["type"] == "novel" and algorithm["domain_id"] == "quantum"
    assert TEXT not in algorithm["name"] and TEXT not in (algorithm["description"] or "")
    assert done["validations"] == [{"id": row["id"], "validator": "demo", "quality": row["quality"],
                                    "confidence": row["confidence"], "speedup": row["speedup"],
                                    "tests": row["tests"], "created_at": done["validations"][0]["created_at"]}]
    assert store.data_version() == version + 2  # "validating", then the result: pages see both
    assert check_rollups(store) == []  # the leaderboard's sums include the new row
    entries, _ = list_entries(store, action="hypothesis.validate")
    assert entries[0]["changes"]["validation_id"] == row["id"] and entries[0]["changes"]["validator"] == "demo"
    assert verify_chain(store).ok

    again = validate_hypothesis(store, editor, made["id"], "demo", keyring=KEYRING)
    assert len(again["validations"]) == 2
    assert count(store, algorithms, algorithms.c.id == made["id"]) == 1  # one algorithm per hypothesis


def test_benchmark_evidence_reaches_the_plugin(quantum):
    editor = principal(quantum, "editor")
    made = create_hypothesis(quantum, editor, TEXT, "quantum", keyring=KEYRING)
    rng = np.random.default_rng(3)
    evidence = {"baseline_timings": rng.lognormal(0, 0.1, 12).tolist(),
                "candidate_timings": rng.lognormal(-1, 0.1, 12).tolist(), "tests_passed": 12, "tests_total": 12}
    done = validate_hypothesis(quantum, editor, made["id"], "benchmark", evidence, keyring=KEYRING)
    expected = np.median(evidence["baseline_timings"]) / np.median(evidence["candidate_timings"])
    assert done["status"] == "validated" and done["result"]["speedup"] == pytest.approx(expected)
    assert done["validations"][0]["tests"] == 12 and done["result"]["simulated"] is False


class Misbehaving(Plugin):
    def __init__(self, action):
        self.action = action

    def get_name(self):
        return "misbehaving"

    def validate(self, hypothesis, domain):
        return self.action()


@pytest.mark.parametrize("action, reason", [
    (lambda: 1 / 0, "raised ZeroDivisionError"),
    (lambda: time.sleep(3), "did not answer within 0.3 s"),
    (lambda: ValidationResult(quality=250, confidence=0.5, speedup=1.0, tests=1), "out-of-range values: quality"),
    (lambda: ValidationResult(quality=50, confidence=0.5, speedup=-1.0, tests=1), "out-of-range values: speedup"),
])
def test_a_misbehaving_plugin_fails_the_validation_with_its_reason_and_no_row(quantum, action, reason):
    editor = principal(quantum, "editor")
    plugins = PluginManager()
    plugins.register(Misbehaving(action), "bad")
    made = create_hypothesis(quantum, editor, TEXT, "quantum", keyring=KEYRING)
    done = validate_hypothesis(quantum, editor, made["id"], "bad", keyring=KEYRING, plugins=plugins, timeout=0.3)
    assert done["status"] == "failed" and reason in done["failure_reason"] and done["result"] is None
    assert count(quantum, validations) == 0 and count(quantum, algorithms) == 0
    entries, _ = list_entries(quantum, action="hypothesis.validation_failed")
    assert reason in entries[0]["changes"]["reason"]
    # A later good run clears the failure.
    fixed = validate_hypothesis(quantum, editor, made["id"], "demo", keyring=KEYRING)
    assert fixed["status"] == "validated" and fixed["failure_reason"] is None


def test_benchmark_without_evidence_fails_with_the_fields_it_needs(quantum):
    editor = principal(quantum, "editor")
    made = create_hypothesis(quantum, editor, TEXT, "quantum", keyring=KEYRING)
    done = validate_hypothesis(quantum, editor, made["id"], "benchmark", keyring=KEYRING)
    assert done["status"] == "failed" and "baseline_timings" in done["failure_reason"]


def test_an_unknown_validator_or_evidence_that_is_not_an_object_is_a_bad_request(quantum):
    editor = principal(quantum, "editor")
    made = create_hypothesis(quantum, editor, TEXT, "quantum", keyring=KEYRING)
    with pytest.raises(BadRequest) as caught:
        validate_hypothesis(quantum, editor, made["id"], "oracle", keyring=KEYRING)
    assert caught.value.details[0]["field"] == "validator" and "benchmark" in caught.value.details[0]["message"]
    with pytest.raises(BadRequest):
        validate_hypothesis(quantum, editor, made["id"], "benchmark", [1, 2], keyring=KEYRING)
    assert get_hypothesis(quantum, editor, made["id"], keyring=KEYRING)["status"] == "draft"


def test_a_hypothesis_under_validation_is_not_validated_twice_unless_that_run_is_stale(quantum):
    editor = principal(quantum, "editor")
    made = create_hypothesis(quantum, editor, TEXT, "quantum", keyring=KEYRING)
    with quantum.write() as conn:
        conn.execute(hypotheses.update().values(status="validating", updated_at=now()))
    with pytest.raises(Conflict):
        validate_hypothesis(quantum, editor, made["id"], "demo", keyring=KEYRING)
    with quantum.write() as conn:
        conn.execute(hypotheses.update().values(updated_at=now() - timedelta(minutes=10)))
    assert validate_hypothesis(quantum, editor, made["id"], "demo", keyring=KEYRING)["status"] == "validated"


def test_audit_entries_never_hold_the_text(quantum):
    editor = principal(quantum, "editor")
    made = create_hypothesis(quantum, editor, "secret-text-marker-9", "quantum", keyring=KEYRING)
    validate_hypothesis(quantum, editor, made["id"], "demo", keyring=KEYRING)
    entries, _ = list_entries(quantum, resource_type="hypothesis")
    assert len(entries) == 2 and "secret-text-marker-9" not in json.dumps(entries, default=str)


def test_a_validated_hypothesis_is_on_its_domains_leaderboard(quantum):
    from helios_dash.filters import Filters
    from helios_dash.queries.leaderboard import select_leaderboard

    editor = principal(quantum, "editor")
    made = create_hypothesis(quantum, editor, TEXT, "quantum", keyring=KEYRING)
    first = validate_hypothesis(quantum, editor, made["id"], "demo", keyring=KEYRING)["result"]
    second = validate_hypothesis(quantum, editor, made["id"], "demo", keyring=KEYRING)["result"]
    board = select_leaderboard(quantum, Filters(domains=("quantum",)))
    row = board[board["algorithm_id"] == made["id"]]
    assert len(row) == 1
    assert row.iloc[0]["validations"] == 2
    assert row.iloc[0]["mean_quality"] == pytest.approx((first["quality"] + second["quality"]) / 2)
    assert row.iloc[0]["type"] == "novel" and row.iloc[0]["domain_id"] == "quantum"
