"""Redaction over HTTP (issue 10): through the guard, a viewer's export never holds ``author_email``
or ``internal_notes``; an admin's and an editor's do, in CSV, XLSX, JSON and PDF, on DuckDB and
PostgreSQL. Who is asking comes from real credentials (a Bearer token, a signed-in browser), not
from a principal set by hand (that half is tests/test_redaction.py). The expected values are read
from the algorithms table with plain SQL; each file is read back with an independent reader.
"""
from __future__ import annotations

import io
import json
from concurrent.futures import ThreadPoolExecutor

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from tests.auth import ORIGIN, ensure_user, signed_in_client, token_for, anonymous_client

FORMATS = ("csv", "xlsx", "json", "pdf")
SHOWN = {"viewer token": False, "admin token": True, "editor session": True}


def busiest_algorithm(store) -> dict:
    """The algorithm with the most validations, with its author and notes, by plain SQL."""
    return store.read(sa.text(
        "SELECT a.id, a.author_email, a.internal_notes, count(*) AS n FROM validations v "
        "JOIN algorithms a ON a.id = v.algorithm_id GROUP BY a.id, a.author_email, a.internal_notes "
        "ORDER BY n DESC, a.id LIMIT 1")).iloc[0].to_dict()


def text_of(fmt: str, content: bytes) -> str:
    """Every value of an exported file as one text, read back with an independent reader."""
    if fmt == "csv":
        return pd.read_csv(io.BytesIO(content), dtype=str, keep_default_na=False).to_csv()
    if fmt == "xlsx":
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
        return "\n".join(str(value) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                         for value in row if value is not None)
    if fmt == "json":
        return json.dumps(json.loads(content), ensure_ascii=False)
    # pypdf breaks lines where the PDF wraps them: compare with single spaces.
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split())


def assert_shown(text: str, details: dict, shown: bool) -> None:
    """Both values in ``text``, or no trace of either (not the mailbox, not the notes' opening)."""
    email, notes = details["author_email"], details["internal_notes"]
    assert email and notes  # the demo data gives the algorithm both, else the test would prove nothing
    if shown:
        assert email in text and " ".join(notes.split()) in " ".join(text.split())
    else:
        assert email.split("@")[0] not in text and notes[:20] not in text and "@" + email.split("@")[1] not in text


def on_fresh_thread(function, *args):
    """``function(*args)`` on a new thread: no app context left pushed by the session's dashboard
    fixture, so ``g`` (flask-login's cached user) is each request's own, as under a WSGI server."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args).result()


class Callers:
    """The three ways of asking: a viewer's token, an admin's token, an editor's browser session."""

    def __init__(self, server, store):
        self.server = server
        self.tokens = {"viewer token": token_for(store, "viewer", ("read", "export")),
                       "admin token": token_for(store, "admin", ("read", "write", "export", "admin"))}
        ensure_user(store, "editor")
        self.editor = None

    def post(self, who: str, kind: str, body: dict) -> bytes:
        """POST /api/v1/export/<kind> as ``who``; the export's bytes."""
        def send():
            if who == "editor session":
                self.editor = self.editor or signed_in_client(self.server, "editor@test.helios")
                client, headers = self.editor, ORIGIN
            else:
                client, headers = anonymous_client(self.server), {"Authorization": f"Bearer {self.tokens[who]}"}
            response = client.post(f"/api/v1/export/{kind}", json=body, headers=headers)
            assert response.status_code == 200, (who, response.status_code, response.get_data(as_text=True)[:300])
            return response.get_data()
        return on_fresh_thread(send)


@pytest.fixture
def callers(dash_app, settled):
    return Callers(dash_app.server, settled)


def bodies(details: dict, fmt: str) -> dict[str, dict]:
    """The body of each export kind: one algorithm's report, and the listing of every algorithm."""
    no_charts = {"include_charts": False}
    return {"algorithm": {"format": fmt, "filters": {"algorithms": details["id"]}, "options": no_charts},
            "algorithms": {"format": fmt, "options": no_charts}}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", ["algorithm", "algorithms"])
def test_exports_through_the_guard_redact_for_the_viewer_token_only(callers, settled, kind, fmt):
    details = busiest_algorithm(settled)
    for who, shown in SHOWN.items():
        content = callers.post(who, kind, bodies(details, fmt)[kind])
        assert_shown(text_of(fmt, content), details, shown=shown)


@pytest.mark.parametrize("order", [("admin token", "viewer token"), ("viewer token", "admin token"),
                                   ("editor session", "viewer token"), ("viewer token", "editor session")])
def test_a_body_cached_for_one_caller_is_never_served_to_the_other(callers, settled, monkeypatch, order):
    from helios_dash.runtime import cache
    from helios_dash.services import algorithm as algorithm_service, algorithms as algorithms_service

    details = busiest_algorithm(settled)
    reads = {"metrics": 0, "catalog": 0}

    def counted(name, function):
        def read(*args, **kwargs):
            reads[name] += 1
            return function(*args, **kwargs)
        return read

    monkeypatch.setattr(algorithms_service, "select_algorithm_metrics",
                        counted("metrics", algorithms_service.select_algorithm_metrics))
    monkeypatch.setattr(algorithm_service, "select_algorithm", counted("catalog", algorithm_service.select_algorithm))
    cache.clear()
    reads_after = []
    for who in order:
        for kind, body in bodies(details, "json").items():
            assert_shown(text_of("json", callers.post(who, kind, body)), details, shown=SHOWN[who])
        reads_after.append(dict(reads))
    # The first caller filled the cache and the second was served from it, redacted or not as it may see.
    assert reads_after[0]["metrics"] >= 1 and reads_after[0]["catalog"] >= 1
    assert reads_after[1] == reads_after[0]
