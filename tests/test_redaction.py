"""Redaction (issue 10): a viewer never sees ``author_email`` or ``internal_notes``; editors and admins do.

Every surface is checked against the demo values read with plain SQL: the algorithm page, the
export route of the API and the Download menu, in CSV, XLSX, JSON and PDF (read back with
pandas, openpyxl, json and pypdf). Principals are set as the guard will set them
(``set_current_principal``), so these tests do not depend on the guard. The cache tests show that
a body cached for one principal is never served to another.
"""
from __future__ import annotations

import base64
import io
import json

import openpyxl
import pandas as pd
import plotly
import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from helios_dash.domain.principal import Principal, anonymous, command_line

VIEWER = Principal("user", role="viewer", user_id=1)
EDITOR = Principal("user", role="editor", user_id=2)
ADMIN = Principal("user", role="admin", user_id=3)
PUBLIC = anonymous("viewer")  # HELIOS_ANONYMOUS_ROLE=viewer: a public dashboard
NOBODY = anonymous()
REDACTED = {"viewer": VIEWER, "public": PUBLIC, "anonymous": NOBODY}
FULL = {"editor": EDITOR, "admin": ADMIN}
FORMATS = ("csv", "xlsx", "json", "pdf")


# -- helpers -----------------------------------------------------------------------------------
def busiest_algorithm(store) -> dict:
    """The algorithm with the most validations, with its author and notes, by plain SQL."""
    return store.read(sa.text(
        "SELECT a.id, a.author_email, a.internal_notes, count(*) AS n FROM validations v "
        "JOIN algorithms a ON a.id = v.algorithm_id GROUP BY a.id, a.author_email, a.internal_notes "
        "ORDER BY n DESC, a.id LIMIT 1")).iloc[0].to_dict()


def validated_details(store) -> pd.DataFrame:
    """Author and notes of every algorithm with validations, by plain SQL, indexed by id."""
    return store.read(sa.text(
        "SELECT id, author_email, internal_notes FROM algorithms "
        "WHERE id IN (SELECT DISTINCT algorithm_id FROM validations)")).set_index("id")


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
    """Both values in ``text`` (shown), or no trace of either: not even the mailbox or a notes' opening."""
    email, notes = details["author_email"], details["internal_notes"]
    if shown:
        assert email in text and notes in text
    else:
        assert email.split("@")[0] not in text and notes[:20] not in text and "@helios-lab.org" not in text


def post_export(dash_app, kind: str, body: dict, principal: Principal) -> bytes:
    """The API's export route (``POST /api/v1/export/<kind>``) as ``principal`` (set as the guard sets it)."""
    from helios_dash.access.current import set_current_principal
    from helios_dash.api.blueprint import export

    with dash_app.server.test_request_context(f"/api/v1/export/{kind}", method="POST", json=body):
        set_current_principal(principal)
        response = export(kind)
        assert response.status_code == 200
        return response.get_data()


def download(dash_app, page: str, fmt: str, view: dict, principal: Principal) -> bytes:
    """The bytes the page's Download menu sends for ``view``, as ``principal``."""
    from helios_dash.access.current import set_current_principal
    from helios_dash.pages._downloads import export_page

    with dash_app.server.test_request_context():
        set_current_principal(principal)
        data, message = export_page(page, fmt, view)
    assert message == "", message
    return base64.b64decode(data["content"])


def rendered(component) -> str:
    """A Dash component tree (or a callback's outputs) as the JSON the browser receives."""
    return json.dumps(component, cls=plotly.utils.PlotlyJSONEncoder, ensure_ascii=False)


# -- the one decision ------------------------------------------------------------------------
@pytest.mark.parametrize("principal, shown", [
    (NOBODY, False), (PUBLIC, False), (VIEWER, False), (EDITOR, True), (ADMIN, True), (command_line("ops"), True),
])
def test_redact_keeps_sensitive_fields_for_editors_and_admins_only(principal, shown):
    from helios_dash.services.redaction import redact

    record = {"id": "a", "name": "A", "author_email": "x@y.org", "internal_notes": "secret"}
    frame = pd.DataFrame([record])
    expected = ["id", "name", "author_email", "internal_notes"] if shown else ["id", "name"]
    assert list(redact(record, principal)) == expected
    assert list(redact(frame, principal).columns) == expected
    assert list(record) == ["id", "name", "author_email", "internal_notes"]  # the (cached) original is untouched
    assert list(frame.columns) == ["id", "name", "author_email", "internal_notes"]


def test_services_default_to_the_redacted_view(dash_app, settled):
    from helios_dash.filters import Filters
    from helios_dash.services.algorithm import find_algorithm, profile_algorithm
    from helios_dash.services.algorithms import describe_algorithms

    algorithm = busiest_algorithm(settled)["id"]
    assert {"author_email", "internal_notes"}.isdisjoint(find_algorithm(algorithm))
    assert {"author_email", "internal_notes"}.isdisjoint(profile_algorithm(algorithm, Filters()).about)
    assert {"author_email", "internal_notes"}.isdisjoint(describe_algorithms(Filters()).columns)


# -- the algorithm page ------------------------------------------------------------------------
@pytest.mark.parametrize("role", [*REDACTED, *FULL])
def test_algorithm_page_shows_author_and_notes_to_editors_and_admins_only(dash_app, settled, role):
    from helios_dash.access.current import set_current_principal
    from helios_dash.pages.algorithm import layout, update_algorithm

    details = busiest_algorithm(settled)
    principal = {**REDACTED, **FULL}[role]
    with dash_app.server.test_request_context(f"/algorithms/{details['id']}"):
        set_current_principal(principal)
        page = rendered(layout(algorithm_id=details["id"]))
        outputs = rendered(update_algorithm({"algorithms": [details["id"]]}, None))
    assert "Latest validations" in outputs  # the callback answered with the algorithm's figures
    assert_shown(page, details, shown=role in FULL)
    assert ("Internal notes" in page) == (role in FULL)  # omitted, not left blank
    assert_shown(outputs, details, shown=False)  # the figures never carried them


# -- exports: the API route and the Download menu ----------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("role", ["viewer", "anonymous", "editor", "admin"])
def test_algorithm_export_through_the_api_redacts_for_viewers(dash_app, settled, fmt, role):
    details = busiest_algorithm(settled)
    body = {"format": fmt, "filters": {"algorithms": details["id"]}, "options": {"include_charts": False}}
    content = post_export(dash_app, "algorithm", body, {**REDACTED, **FULL}[role])
    assert_shown(text_of(fmt, content), details, shown=role in FULL)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("role", ["viewer", "admin"])
def test_algorithm_download_redacts_for_viewers(dash_app, settled, fmt, role):
    details = busiest_algorithm(settled)
    content = download(dash_app, "algorithm", fmt, {"algorithms": [details["id"]]}, {**REDACTED, **FULL}[role])
    assert_shown(text_of(fmt, content), details, shown=role in FULL)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("role", ["viewer", "public", "editor", "admin"])
def test_algorithms_listing_export_redacts_for_viewers(dash_app, settled, fmt, role):
    details = busiest_algorithm(settled)  # it is on the list
    body = {"format": fmt, "options": {"include_charts": False}}
    content = post_export(dash_app, "algorithms", body, {**REDACTED, **FULL}[role])
    assert_shown(text_of(fmt, content), details, shown=role in FULL)


def test_algorithms_listing_gives_each_algorithm_its_own_author_and_notes(dash_app, settled):
    expected = validated_details(settled)
    data = json.loads(post_export(dash_app, "algorithms", {"format": "json"}, EDITOR))["data"]
    got = pd.DataFrame(data["algorithms"]).set_index("algorithm_id")[["author_email", "internal_notes"]]
    assert len(got) == len(expected) > 1
    pd.testing.assert_frame_equal(got.sort_index(), expected.sort_index(), check_names=False)
    viewer = json.loads(post_export(dash_app, "algorithms", {"format": "json"}, VIEWER))["data"]["algorithms"]
    assert len(viewer) == len(expected)
    assert all(set(row).isdisjoint({"author_email", "internal_notes"}) for row in viewer)


def test_csv_headers_name_the_fields_for_editors_and_leave_them_out_for_viewers(dash_app, settled):
    details = busiest_algorithm(settled)
    body = {"format": "csv", "filters": {"algorithms": details["id"]}}
    full = pd.read_csv(io.BytesIO(post_export(dash_app, "algorithm", body, ADMIN)))
    redacted = pd.read_csv(io.BytesIO(post_export(dash_app, "algorithm", body, VIEWER)))
    assert list(full.columns) == list(redacted.columns) + ["Author", "Internal notes"]
    assert full[["Author", "Internal notes"]].iloc[0].tolist() == [details["author_email"], details["internal_notes"]]


# -- caches ------------------------------------------------------------------------------------
@pytest.mark.parametrize("first, second", [(ADMIN, VIEWER), (VIEWER, ADMIN), (EDITOR, NOBODY), (NOBODY, EDITOR)])
def test_a_cached_body_is_never_served_to_the_other_view(dash_app, settled, monkeypatch, first, second):
    from helios_dash.filters import Filters
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
    filters = Filters(domains=("quantum",))
    body = {"format": "json", "filters": {"algorithms": details["id"]}, "options": {"include_charts": False}}
    listing = {"format": "json", "filters": {"domain": "quantum"}}
    seen, reads_after = {}, []
    for principal in (first, second):
        seen[principal] = (algorithm_service.find_algorithm(details["id"], principal),
                           algorithms_service.describe_algorithms(filters, principal=principal),
                           text_of("json", post_export(dash_app, "algorithm", body, principal)),
                           text_of("json", post_export(dash_app, "algorithms", listing, principal)))
        reads_after.append(dict(reads))
    # The first principal filled the cache and the second was served from it: no read of its own.
    assert reads_after[0]["metrics"] >= 1 and reads_after[0]["catalog"] == 1
    assert reads_after[1] == reads_after[0]
    for principal, (about, frame, page, listed) in seen.items():
        sees = principal.sees_sensitive
        assert ("author_email" in about) == sees and ("internal_notes" in frame.columns) == sees
        assert_shown(page, details, shown=sees)
        assert ("@helios-lab.org" in listed) == sees
