"""POST /api/v1/export/*: each format read back independently and checked against plain SQL."""
from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa
from pypdf import PdfReader


def expected_leaderboard(store, domain: str) -> pd.DataFrame:
    """Mean quality per algorithm of one domain, ranked as the guide says, with plain SQL and pandas."""
    stmt = sa.text("SELECT v.algorithm_id, a.name, v.quality, v.speedup, v.tests FROM validations v "
                   "JOIN algorithms a ON a.id = v.algorithm_id WHERE v.domain_id = :domain")
    rows = store.read(stmt.bindparams(domain=domain))
    board = rows.groupby(["algorithm_id", "name"], as_index=False).agg(
        mean_quality=("quality", "mean"), mean_speedup=("speedup", "mean"), tests=("tests", "sum"))
    return board.sort_values(["mean_quality", "mean_speedup", "tests", "algorithm_id"],
                             ascending=[False, False, False, True], ignore_index=True)


def post(dash_app, kind: str, body: dict):
    response = dash_app.server.test_client().post(f"/api/v1/export/{kind}", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response


def test_leaderboard_json_matches_plain_sql(dash_app, settled):
    payload = post(dash_app, "leaderboard", {"format": "json", "filters": {"domain": "quantum"}}).get_json()
    expected = expected_leaderboard(settled, "quantum")
    records = payload["data"]["leaderboard"]
    assert payload["status"] == "success" and payload["meta"]["version"] == "1.0"
    assert [r["name"] for r in records] == expected["name"].tolist()
    assert [r["mean_quality"] for r in records] == pytest.approx(expected["mean_quality"].tolist())
    assert payload["data"]["metadata"]["Domains"] == "quantum"


def test_leaderboard_csv_sorted_by_option(dash_app, settled):
    body = {"format": "csv", "filters": {"domain": "quantum"}, "options": {"sort_by": "speedup", "sort_order": "asc"}}
    response = post(dash_app, "leaderboard", body)
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    frame = pd.read_csv(io.BytesIO(response.get_data()))
    expected = expected_leaderboard(settled, "quantum").sort_values(["mean_speedup", "algorithm_id"])
    assert frame["Algorithm"].tolist() == expected["name"].tolist()


def test_report_xlsx_has_a_sheet_per_section(dash_app, settled):
    body = {"format": "xlsx", "include": ["leaderboard", "statistics", "metadata"], "filters": {"domain": "quantum"}}
    book = openpyxl.load_workbook(io.BytesIO(post(dash_app, "report", body).get_data()))
    assert {"Leaderboard", "Domain statistics", "Metadata"} <= set(book.sheetnames)
    sheet = book["Leaderboard"]
    header = [c.value for c in sheet[1]]
    quality = header.index("Mean quality") + 1
    first = sheet.cell(row=2, column=quality).value
    assert isinstance(first, float)
    assert first == pytest.approx(expected_leaderboard(settled, "quantum")["mean_quality"].iloc[0])


def test_report_pdf_names_the_leader(dash_app, settled):
    body = {"format": "pdf", "include": ["leaderboard", "metadata"], "filters": {"domain": "quantum"}}
    pdf = PdfReader(io.BytesIO(post(dash_app, "report", body).get_data()))
    text = "\n".join(page.extract_text() for page in pdf.pages)
    leader = expected_leaderboard(settled, "quantum").iloc[0]
    assert leader["name"] in text and f"{leader['mean_quality']:.1f}" in text


def test_export_with_no_matching_data(dash_app, settled):
    body = {"format": "csv", "filters": {"start": "1990-01-01", "end": "1990-01-31"}}
    frame = pd.read_csv(io.BytesIO(post(dash_app, "leaderboard", body).get_data()))
    assert frame.empty and "Algorithm" in frame.columns


def test_every_record_streams_as_csv(dash_app, settled):
    response = post(dash_app, "algorithms", {"format": "csv", "include": ["validations"],
                                             "filters": {"domain": "quantum"}})
    assert response.is_streamed
    frame = pd.read_csv(io.BytesIO(response.get_data()))
    count, total = settled.read(sa.text(
        "SELECT count(*) n, sum(tests) t FROM validations WHERE domain_id = 'quantum'")).iloc[0]
    assert len(frame) == count and frame["tests"].sum() == total
    assert frame["created_at"].str.endswith("+00:00").all()


def test_domain_sentence_fits_one_or_several_domains():
    from helios_dash.reports.sentences import describe_domains

    one = pd.DataFrame({"domain": ["Quantum"], "mean_quality": [61.74], "validations": [2266]})
    two = pd.DataFrame({"domain": ["Cryptography", "Quantum"], "mean_quality": [86.04, 61.74],
                        "validations": [10, 20]})
    assert describe_domains(one) == "Quantum: mean quality 61.7 over 2,266 validations."
    assert describe_domains(two) == "Cryptography has the highest mean quality (86.0) of 2 domains."
    assert describe_domains(one.iloc[0:0]) == "No validations match these filters."


def test_formats_without_charts_never_draw_them(client, runtime, monkeypatch):
    # Only the PDF shows charts; drawing the leaderboard's figure cost most of a CSV export.
    from helios_dash.demo import seed_demo
    from helios_dash.reports import sections

    seed_demo(runtime.store, validations=500)

    def no_drawing(*_args, **_kwargs):
        raise AssertionError("a chart was drawn for a format that does not show charts")

    monkeypatch.setattr(sections, "leaderboard_chart", no_drawing)
    for fmt in ("csv", "json", "xlsx"):
        answer = client.post("/api/v1/export/leaderboard", json={"format": fmt})
        assert answer.status_code == 200, (fmt, answer.data[:200])
    pdf = client.post("/api/v1/export/leaderboard", json={"format": "pdf"})
    assert pdf.status_code == 500  # the PDF does draw it: the stand-in above fails the request
