"""The audit log's hash chain, on both databases: it verifies, and tampering done directly in the
database (UPDATE, DELETE, INSERT) makes ``verify`` name the first bad entry.

What the chain does and does not detect, as these tests show:
- detected: an edited field, an edited hash (at the next entry), a deleted first or middle entry,
  an inserted entry (into a gap of ids, or appended with a forged link), swapped entries;
- not detected by the chain alone: deleting the newest entries, and appending (or rewriting from
  some entry to the end) entries whose hashes were recomputed: anyone who may write the table
  can compute SHA-256. ``verify --anchor ID:HASH`` (a head kept outside the database) detects
  both up to the anchor; nothing short of a key outside the database detects them after it.
"""
from __future__ import annotations

import hashlib
import json
import threading
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from helios_dash.accounts import audit
from helios_dash.accounts.audit_commands import audit as audit_group
from helios_dash.domain.principal import Principal, command_line
from helios_dash.schema import audit_log, audit_log_id_seq

ADA = Principal(kind="user", role="admin", user_id=7, email="ada@example.org", name="Ada")
ZERO = "0" * 64


def write_entries(store, count: int, by: Principal = ADA) -> list[int]:
    """``count`` entries, one transaction each, as a sign-in, a role change and an export alternate."""
    ids = []
    actions = [("auth.sign_in", "user", 7, {}), ("user.set_role", "user", 8, {"role": ["viewer", "editor"]}),
               ("export.create", "export", "leaderboard", {"format": "csv", "filters": {"domain": ["quantum"]}})]
    for number in range(count):
        action, kind, resource, changes = actions[number % len(actions)]
        with store.records() as conn:
            ids.append(audit.record(conn, by, action, kind, resource, changes,
                                    audit.Context(ip="127.0.0.1", request_id=f"req_{number:04d}")))
    return ids


def rows_by_id(store) -> list[dict]:
    with store.engine.connect() as conn:
        return [dict(row) for row in conn.execute(sa.select(audit_log).order_by(audit_log.c.id)).mappings()]


def run_sql(store, statement: str, **params) -> None:
    """Tampering as an intruder with database access would: plain SQL, no HELIOS code."""
    with store.engine.begin() as conn:
        conn.execute(sa.text(statement), params)


def independent_hash(prev_hash: str, row: dict) -> str:
    """SHA-256 of prev_hash + the entry's fields as sorted compact JSON, written here from the
    format's description, not by calling the code under test."""
    created = row["created_at"]
    created = (created.replace(tzinfo=timezone.utc) if created.tzinfo is None else created.astimezone(timezone.utc))
    fields = {"id": int(row["id"]), "created_at": created.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00"),
              "actor": row["actor"], "actor_email": row["actor_email"], "action": row["action"],
              "resource_type": row["resource_type"], "resource_id": row["resource_id"], "changes": row["changes"],
              "ip": row["ip"], "request_id": row["request_id"]}
    text = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + text).encode("utf-8")).hexdigest()


# -- an intact chain -----------------------------------------------------------------------
def test_an_empty_log_verifies(store):
    result = audit.verify_chain(store)
    assert (result.ok, result.checked, result.head_id) == (True, 0, None)


def test_a_chain_verifies_and_every_hash_matches_an_independent_computation(store):
    ids = write_entries(store, 5)
    rows = rows_by_id(store)
    assert [row["id"] for row in rows] == ids
    previous = ZERO
    for row in rows:
        assert row["prev_hash"] == previous
        assert row["hash"] == independent_hash(previous, row)
        previous = row["hash"]
    result = audit.verify_chain(store)
    assert (result.ok, result.checked, result.first_bad_id) == (True, 5, None)
    assert (result.head_id, result.head_hash) == (ids[-1], rows[-1]["hash"])


def test_a_hand_made_entry_has_the_hash_sha256_gives():
    entry = {"id": 1, "created_at": datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc), "actor": "cli:ada",
             "actor_email": None, "action": "import.create", "resource_type": "import", "resource_id": "a.csv",
             "changes": "{}", "ip": None, "request_id": None}
    payload = (ZERO + '{"action":"import.create","actor":"cli:ada","actor_email":null,"changes":"{}",'
               '"created_at":"2026-12-01T10:00:00.000000+00:00","id":1,"ip":null,"request_id":null,'
               '"resource_id":"a.csv","resource_type":"import"}')
    assert audit.entry_hash(ZERO, entry) == hashlib.sha256(payload.encode()).hexdigest()


def test_verify_reads_the_log_in_batches(store, monkeypatch):
    write_entries(store, 7)
    sizes = []
    real_rows = store.rows
    monkeypatch.setattr(store, "rows", lambda stmt: sizes.append(len(found := real_rows(stmt))) or found)
    result = audit.verify_chain(store, batch=3)
    assert result.ok and result.checked == 7
    assert sizes == [3, 3, 1]  # never the whole log at once


# -- tampering directly in the database ------------------------------------------------------
def test_an_edited_changes_field_is_the_first_bad_entry(store):
    ids = write_entries(store, 5)
    run_sql(store, "UPDATE audit_log SET changes = :text WHERE id = :id",
            text='{"role": ["viewer", "viewer"]}', id=ids[1])
    result = audit.verify_chain(store)
    assert (result.ok, result.first_bad_id, result.checked) == (False, ids[1], 2)
    assert "edited" in result.reason


def test_an_edited_actor_is_the_first_bad_entry(store):
    ids = write_entries(store, 5)
    run_sql(store, "UPDATE audit_log SET actor = 'user:1', actor_email = 'someone@else.org' WHERE id = :id",
            id=ids[3])
    result = audit.verify_chain(store)
    assert (result.ok, result.first_bad_id) == (False, ids[3])


def test_an_edit_with_its_hash_recomputed_breaks_the_next_link(store):
    ids = write_entries(store, 5)
    run_sql(store, "UPDATE audit_log SET changes = '{}' WHERE id = :id", id=ids[2])
    edited = rows_by_id(store)[2]
    run_sql(store, "UPDATE audit_log SET hash = :hash WHERE id = :id",
            hash=independent_hash(edited["prev_hash"], edited), id=ids[2])
    result = audit.verify_chain(store)
    assert (result.ok, result.first_bad_id) == (False, ids[3])
    assert f"#{ids[2]}" in result.reason


def test_a_deleted_middle_entry_is_named_by_the_entry_after_it(store):
    ids = write_entries(store, 5)
    run_sql(store, "DELETE FROM audit_log WHERE id = :id", id=ids[2])
    result = audit.verify_chain(store)
    assert (result.ok, result.first_bad_id) == (False, ids[3])
    assert "deleted" in result.reason


def test_a_deleted_first_entry_is_detected(store):
    ids = write_entries(store, 3)
    run_sql(store, "DELETE FROM audit_log WHERE id = :id", id=ids[0])
    result = audit.verify_chain(store)
    assert (result.ok, result.first_bad_id) == (False, ids[1])
    assert "first entry" in result.reason


def test_swapped_entries_are_detected_at_the_first(store):
    ids = write_entries(store, 4)
    rows = rows_by_id(store)
    columns = [c for c in rows[0] if c != "id"]
    assignments = ", ".join(f"{c} = :{c}" for c in columns)
    for target, source in ((ids[1], rows[2]), (ids[2], rows[1])):  # every column but the id
        run_sql(store, f"UPDATE audit_log SET {assignments} WHERE id = :target",
                target=target, **{c: source[c] for c in columns})
    result = audit.verify_chain(store)
    assert (result.ok, result.first_bad_id) == (False, ids[1])


def test_an_entry_inserted_into_a_gap_of_ids_is_detected(store):
    before = write_entries(store, 2)
    with store.engine.begin() as conn:  # a rolled-back transaction leaves such a gap
        gap = int(conn.execute(sa.select(audit_log_id_seq.next_value())).scalar_one())
    after = write_entries(store, 2)
    assert before[-1] < gap < after[0]
    last_before = rows_by_id(store)[1]
    forged = {"id": gap, "created_at": datetime.now(timezone.utc), "actor": "user:7", "actor_email": None,
              "action": "user.set_role", "resource_type": "user", "resource_id": "666",
              "changes": '{"role": ["viewer", "admin"]}', "ip": None, "request_id": None,
              "prev_hash": last_before["hash"]}
    forged["hash"] = independent_hash(forged["prev_hash"], forged)  # a well-formed forgery
    with store.engine.begin() as conn:
        conn.execute(audit_log.insert().values(**forged))
    result = audit.verify_chain(store)
    assert (result.ok, result.first_bad_id) == (False, after[0])


def test_an_appended_entry_linked_to_an_old_one_is_detected(store):
    ids = write_entries(store, 4)
    rows = rows_by_id(store)
    forged = dict(rows[1], id=ids[-1] + 1, actor="user:666")
    forged["hash"] = independent_hash(forged["prev_hash"], forged)
    with store.engine.begin() as conn:
        conn.execute(audit_log.insert().values(**forged))
    result = audit.verify_chain(store)
    assert (result.ok, result.first_bad_id) == (False, ids[-1] + 1)


def test_an_appended_entry_with_a_garbage_hash_is_detected(store):
    ids = write_entries(store, 3)
    forged = dict(rows_by_id(store)[-1], id=ids[-1] + 1, prev_hash=rows_by_id(store)[-1]["hash"], hash="f" * 64)
    with store.engine.begin() as conn:
        conn.execute(audit_log.insert().values(**forged))
    result = audit.verify_chain(store)
    assert (result.ok, result.first_bad_id) == (False, ids[-1] + 1)


def test_deleting_the_newest_entries_needs_an_anchor_to_be_seen(store):
    ids = write_entries(store, 4)
    head = audit.verify_chain(store)
    run_sql(store, "DELETE FROM audit_log WHERE id >= :id", id=ids[2])
    # What is left is a valid, shorter chain: the chain alone cannot tell (the honest limit).
    alone = audit.verify_chain(store)
    assert (alone.ok, alone.checked) == (True, 2)
    anchored = audit.verify_chain(store, anchor=(head.head_id, head.head_hash))
    assert (anchored.ok, anchored.first_bad_id) == (False, ids[3])
    assert "deleted" in anchored.reason


def test_a_rewritten_tail_differs_from_the_anchor(store):
    ids = write_entries(store, 3)
    head = audit.verify_chain(store)
    last = rows_by_id(store)[-1]
    rewritten = dict(last, actor="user:666")
    run_sql(store, "UPDATE audit_log SET actor = 'user:666', hash = :hash WHERE id = :id",
            hash=independent_hash(last["prev_hash"], rewritten), id=ids[-1])
    assert audit.verify_chain(store).ok  # consistent again without a key outside the database
    anchored = audit.verify_chain(store, anchor=(head.head_id, head.head_hash))
    assert (anchored.ok, anchored.first_bad_id) == (False, ids[-1])


# -- the command line ---------------------------------------------------------------------------
def test_audit_verify_exits_0_then_1_after_tampering(store, store_url):
    ids = write_entries(store, 4)
    runner = CliRunner()
    env = {"HELIOS_DATABASE_URL": store_url}
    intact = runner.invoke(audit_group, ["verify"], env=env)
    assert intact.exit_code == 0, intact.output
    assert "Audit log intact: 4 entries" in intact.output
    head = next(line for line in intact.output.splitlines() if line.startswith("Head: ")).split()[1]
    assert head == f"{ids[-1]}:{rows_by_id(store)[-1]['hash']}"

    run_sql(store, "UPDATE audit_log SET ip = '10.6.6.6' WHERE id = :id", id=ids[1])
    broken = runner.invoke(audit_group, ["verify"], env=env)
    assert broken.exit_code == 1
    assert f"Audit log broken at entry #{ids[1]}" in broken.output


def test_audit_verify_with_an_anchor_catches_a_deleted_tail(store, store_url):
    ids = write_entries(store, 3)
    runner = CliRunner()
    env = {"HELIOS_DATABASE_URL": store_url}
    anchor = f"{ids[-1]}:{rows_by_id(store)[-1]['hash']}"
    run_sql(store, "DELETE FROM audit_log WHERE id = :id", id=ids[-1])
    assert runner.invoke(audit_group, ["verify"], env=env).exit_code == 0
    anchored = runner.invoke(audit_group, ["verify", "--anchor", anchor], env=env)
    assert anchored.exit_code == 1
    assert f"#{ids[-1]}" in anchored.output
    assert runner.invoke(audit_group, ["verify", "--anchor", "nonsense"], env=env).exit_code == 2


def test_audit_list_shows_the_newest_entries(store, store_url):
    ids = write_entries(store, 4, by=command_line("ada"))
    result = CliRunner().invoke(audit_group, ["list", "--limit", "2"], env={"HELIOS_DATABASE_URL": store_url})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"#{ids[3]}  ") and "cli:ada" in lines[0] and "auth.sign_in" in lines[0]
    assert lines[1].startswith(f"#{ids[2]}  ") and "export.create" in lines[1]
    assert lines[2] == "2 of 4 entries shown, newest first."


# -- secrets and concurrency -------------------------------------------------------------------
def test_scrub_removes_secret_keys_at_any_depth():
    changes = {"email": "a@b.org", "password": "hunter2hunter2", "new_token": "hel_abc",
               "nested": {"client_secret": "s3", "kept": 1}, "items": [{"api_key": "k", "name": "n"}],
               "password_hash": "$argon2id$...", "tokens": ["hlp_1", "hlp_2"],
               "rehashed": True, "token_id": 5, "password_changed": False, "hash": None}
    assert audit.scrub(changes) == {"email": "a@b.org", "nested": {"kept": 1}, "items": [{"name": "n"}],
                                    "rehashed": True, "token_id": 5, "password_changed": False, "hash": None}


def test_secrets_never_reach_the_stored_changes(store):
    with store.records() as conn:
        entry = audit.record(conn, ADA, "token.create", "token", 3,
                             {"name": "ci", "token": "hel_SECRET1", "Password": "SECRET2",
                              "filters": {"api_key": "SECRET3", "domain": ["x"]}})
    stored = rows_by_id(store)[0]
    assert stored["id"] == entry
    assert json.loads(stored["changes"]) == {"name": "ci", "filters": {"domain": ["x"]}}
    assert "SECRET" not in stored["changes"]


@pytest.mark.parametrize("threads, each", [(6, 8)])
def test_concurrent_records_keep_the_chain_linear(store, store_url, threads, each):
    from helios_dash.store import open_store

    # On PostgreSQL half the threads use a second store (its own pool, as another process would):
    # only the advisory lock keeps them in line there. DuckDB admits one process, hence one store.
    second = open_store(store_url) if not store.is_duckdb else store
    start = threading.Barrier(threads)
    failures = []

    def work(target):
        try:
            start.wait()
            write_entries(target, each)
        except Exception as error:  # pragma: no cover - reported by the assert below
            failures.append(error)

    try:
        workers = [threading.Thread(target=work, args=(store if n % 2 else second,)) for n in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    finally:
        if second is not store:
            second.close()
    assert failures == []
    rows = rows_by_id(store)
    assert len(rows) == threads * each
    assert [row["prev_hash"] for row in rows[1:]] == [row["hash"] for row in rows[:-1]]  # one line, no fork
    assert audit.verify_chain(store).ok


# -- reading the log -------------------------------------------------------------------------
def test_list_entries_filters_and_pages_newest_first(store):
    ids = write_entries(store, 6)  # actions cycle: sign_in, set_role, export
    write_entries(store, 1, by=command_line("bob"))
    run_sql(store, "UPDATE audit_log SET created_at = :at WHERE id = :id",
            at=datetime(2026, 3, 1, 23, 59, tzinfo=timezone.utc), id=ids[0])
    run_sql(store, "UPDATE audit_log SET created_at = :at WHERE id = :id",
            at=datetime(2026, 3, 2, 0, 0, tzinfo=timezone.utc), id=ids[1])

    page, total = audit.list_entries(store, limit=3, offset=0)
    assert total == 7 and [e["id"] for e in page] == [ids[-1] + 1, ids[5], ids[4]]
    page, total = audit.list_entries(store, limit=3, offset=6)
    assert total == 7 and [e["id"] for e in page] == [ids[0]]
    assert audit.list_entries(store, action="user.set_role")[1] == 2
    assert audit.list_entries(store, action="user.*")[1] == 2
    assert audit.list_entries(store, action="user%")[1] == 0  # % is no wildcard
    assert audit.list_entries(store, actor="cli:bob")[1] == 1
    assert audit.list_entries(store, actor="ADA@example.org")[1] == 6
    assert audit.list_entries(store, resource_type="export")[1] == 2
    march_1 = dict(since=datetime(2026, 3, 1, tzinfo=timezone.utc), until=datetime(2026, 3, 2, tzinfo=timezone.utc))
    assert [e["id"] for e in audit.list_entries(store, **march_1)[0]] == [ids[0]]
    entry = audit.list_entries(store, action="user.set_role", limit=1)[0][0]
    assert entry["changes"] == {"role": ["viewer", "editor"]}
    assert entry["created_at"].tzinfo is not None and entry["created_at"].utcoffset().total_seconds() == 0


def test_iter_entries_streams_every_match_newest_first(store):
    ids = write_entries(store, 7)
    assert [e["id"] for e in audit.iter_entries(store, batch=2)] == ids[::-1]
    assert [e["id"] for e in audit.iter_entries(store, action="auth.sign_in", batch=2)] == [ids[6], ids[3], ids[0]]


def test_record_export_writes_one_chained_export_entry(store):
    write_entries(store, 1)
    entry_id = audit.record_export(store, ADA, "leaderboard", "xlsx", {"domain": ["quantum"], "api_key": "x"},
                                   audit.Context(ip="10.0.0.1", request_id="req_1"), sections=["leaderboard"])
    row = rows_by_id(store)[-1]
    assert row["id"] == entry_id
    assert (row["action"], row["resource_type"], row["resource_id"], row["actor"], row["ip"]) == \
        ("export.create", "export", "leaderboard", "user:7", "10.0.0.1")
    assert json.loads(row["changes"]) == {"format": "xlsx", "filters": {"domain": ["quantum"]},
                                          "sections": ["leaderboard"]}
    assert audit.verify_chain(store).checked == 2


# -- the query string (pure) -----------------------------------------------------------------------
def test_dates_include_the_whole_end_day_and_times_are_exact():
    from helios_dash.accounts.audit_query import AuditQuery

    days = AuditQuery.from_query({"start": "2026-03-01", "end": "2026-03-01"})
    assert (days.since, days.until) == (datetime(2026, 3, 1, tzinfo=timezone.utc),
                                        datetime(2026, 3, 2, tzinfo=timezone.utc))
    # 10:00 at +05:30 is 04:30 UTC; an unencoded "+" arrives as a space and means the same.
    for typed in ("2026-03-01T10:00:00+05:30", "2026-03-01T10:00:00 05:30"):
        times = AuditQuery.from_query({"start": typed, "end": "2026-03-01T04:30:00Z"})
        assert times.since == datetime(2026, 3, 1, 4, 30, tzinfo=timezone.utc)
        assert times.until == datetime(2026, 3, 1, 4, 30, 0, 1, tzinfo=timezone.utc)
    assert AuditQuery.from_query({"start": "2026-03-01 10:00"}).since == datetime(2026, 3, 1, 10, tzinfo=timezone.utc)


def test_paging_and_links_leave_defaults_out():
    from helios_dash.accounts.audit_query import AuditQuery

    query = AuditQuery.from_query({"action": " auth.* ", "page": "3", "per_page": "20"})
    assert (query.action, query.offset, query.pages(41), query.pages(0)) == ("auth.*", 40, 3, 1)
    assert query.to_query(page=1) == {"action": "auth.*", "per_page": "20"}
    assert AuditQuery.from_query({}).to_query() == {}


def test_every_bad_field_is_named_at_once():
    from helios_dash.accounts.audit_query import AuditQuery
    from helios_dash.errors import BadRequest

    with pytest.raises(BadRequest) as raised:
        AuditQuery.from_query({"start": "soon", "page": "0", "per_page": "1e3", "resource_type": "x" * 201})
    assert [d["field"] for d in raised.value.details] == ["resource_type", "start", "page", "per_page"]
