"""The algorithm page (/algorithms/<id>, issue 8 item 19): service against plain SQL and pandas, callbacks, links."""
from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from scipy import stats

from helios_dash.filters import Filters

TZ = "America/New_York"


def plain_validations(store, domain: str) -> pd.DataFrame:
    """The domain's validations, read with plain SQL."""
    return store.read(sa.text(
        "SELECT v.id, v.algorithm_id, v.quality, v.confidence, v.speedup, v.tests, v.created_at "
        "FROM validations v WHERE v.domain_id = :domain").bindparams(domain=domain))


def in_period(frame: pd.DataFrame, start: date, end: date, tz: str) -> pd.DataFrame:
    """Rows whose local day (in ``tz``) lies from ``start`` to ``end``, with that local day and its week."""
    local = pd.to_datetime(frame["created_at"], utc=True).dt.tz_convert(tz)
    day = local.dt.date
    kept = frame.assign(day=day, week=[d - timedelta(days=d.weekday()) for d in day])
    return kept[(kept["day"] >= start) & (kept["day"] <= end)]


def plain_board(rows: pd.DataFrame) -> pd.DataFrame:
    """One board: means, t-interval, rank (quality, speedup, tests, id) and rank range, all by brute force."""
    board = rows.groupby("algorithm_id").agg(
        validations=("quality", "size"), mean_quality=("quality", "mean"), std=("quality", "std"),
        mean_speedup=("speedup", "mean"), tests=("tests", "sum"),
        success_rate=("quality", lambda q: (q > 70).mean())).reset_index()
    board = board.sort_values(["mean_quality", "mean_speedup", "tests", "algorithm_id"],
                              ascending=[False, False, False, True], ignore_index=True)
    board["rank"] = range(1, len(board) + 1)
    half = [stats.t.ppf(0.975, n - 1) * s / math.sqrt(n) if n > 1 else math.nan
            for n, s in zip(board["validations"], board["std"])]
    board["ci_low"] = (board["mean_quality"] - half).clip(lower=0)
    board["ci_high"] = (board["mean_quality"] + half).clip(upper=100)
    low = board["ci_low"].fillna(-math.inf).tolist()
    high = board["ci_high"].fillna(math.inf).tolist()
    board["rank_best"] = [1 + sum(other > high[i] for other in low) for i in range(len(board))]
    board["rank_worst"] = [sum(not other < low[i] for other in high) for i in range(len(board))]
    return board


def busiest(store, domain: str = "quantum") -> str:
    """The domain's algorithm with the most validations."""
    return plain_validations(store, domain)["algorithm_id"].value_counts().index[0]


def period() -> tuple[date, date]:
    end = date.today() - timedelta(days=3)
    return end - timedelta(days=120), end


# -- the service -------------------------------------------------------------------
def test_profile_agrees_with_plain_sql(dash_app, settled):
    from helios_dash.services.algorithm import profile_algorithm

    start, end = period()
    algorithm = busiest(settled)
    rows = in_period(plain_validations(settled, "quantum"), start, end, TZ)
    profile = profile_algorithm(algorithm, Filters(start=start, end=end, tz=TZ, domains=("graphs",), types=("novel",)))

    board = plain_board(rows)  # the view's domain and type do not apply: the algorithm's domain does
    mine = board.set_index("algorithm_id").loc[algorithm]
    assert profile.peers == len(board)
    for key in ("mean_quality", "ci_low", "ci_high", "mean_speedup", "success_rate"):
        assert profile.standing[key] == pytest.approx(mine[key]), key
    for key in ("rank", "rank_best", "rank_worst", "validations", "tests"):
        assert profile.standing[key] == mine[key], key


def test_rank_history_agrees_with_plain_sql_week_by_week(dash_app, settled):
    from helios_dash.services.algorithm import profile_algorithm

    start, end = period()
    algorithm = busiest(settled)
    rows = in_period(plain_validations(settled, "quantum"), start, end, TZ)
    history = profile_algorithm(algorithm, Filters(start=start, end=end, tz=TZ)).history
    expected = []
    for week, part in rows.groupby("week"):
        board = plain_board(part).set_index("algorithm_id")
        if algorithm in board.index:
            expected.append({"period_start": pd.Timestamp(week), **board.loc[algorithm].to_dict(),
                             "peers": len(board), "domain_mean_quality": part["quality"].mean()})
    expected = pd.DataFrame(expected)
    assert len(history) == len(expected) > 10
    assert list(history["period_start"]) == list(expected["period_start"])
    for key in ("rank", "rank_best", "rank_worst", "peers", "validations"):
        assert history[key].astype(int).tolist() == expected[key].astype(int).tolist(), key
    for key in ("mean_quality", "ci_low", "ci_high", "mean_speedup", "domain_mean_quality"):
        assert np.allclose(history[key].astype(float), expected[key].astype(float), equal_nan=True), key


def test_latest_validations_are_the_newest_in_the_period(dash_app, settled):
    from helios_dash.services.algorithm import LATEST_ROWS, profile_algorithm

    start, end = period()
    algorithm = busiest(settled)
    rows = in_period(plain_validations(settled, "quantum"), start, end, "UTC")
    mine = rows[rows["algorithm_id"] == algorithm].sort_values(["created_at", "id"], ascending=False)
    latest = profile_algorithm(algorithm, Filters(start=start, end=end)).latest
    assert latest["id"].tolist() == mine["id"].head(LATEST_ROWS).tolist()


def test_unknown_algorithm_and_empty_period(dash_app, settled):
    from helios_dash.services.algorithm import profile_algorithm

    assert profile_algorithm("no-such-algorithm", Filters()) is None
    empty = profile_algorithm(busiest(settled), Filters(start=date(1990, 1, 1), end=date(1990, 1, 31)))
    assert empty.standing is None and empty.history.empty and empty.latest.empty


# -- the page's callbacks -------------------------------------------------------------
def test_update_algorithm_shows_the_numbers_of_the_plain_computation(dash_app, settled):
    from helios_dash.pages.algorithm import update_algorithm

    start, end = period()
    algorithm = busiest(settled)
    mine = plain_board(in_period(plain_validations(settled, "quantum"), start, end, "UTC")).set_index(
        "algorithm_id").loc[algorithm]
    view = {"algorithms": [algorithm], "start": [start.isoformat()], "end": [end.isoformat()]}
    cards, trend, ranks, latest = update_algorithm(view, None)
    shown = str(cards.to_plotly_json())
    assert f"'{mine['mean_quality']:.1f}'" in shown
    assert f"95% interval {mine['ci_low']:.1f}–{mine['ci_high']:.1f}" in shown
    rank, best, worst = (int(mine[key]) for key in ("rank", "rank_best", "rank_worst"))
    assert f"'{rank}{'' if best == worst else f' ({best}-{worst})'}'" in shown
    assert trend.data[0].name and len(trend.data[0].x) > 10
    assert ranks.layout.yaxis.autorange == "reversed"
    assert "Latest validations" in str(latest.to_plotly_json())


def test_update_algorithm_for_an_empty_period_shows_empty_states(dash_app, settled):
    from helios_dash.figures.algorithm import NO_PERIODS
    from helios_dash.pages.algorithm import update_algorithm

    view = {"algorithms": [busiest(settled)], "start": ["1990-01-01"], "end": ["1990-01-31"]}
    cards, trend, ranks, latest = update_algorithm(view, None)
    assert "No validations of" in str(cards.to_plotly_json())
    assert trend.layout.annotations[0].text == NO_PERIODS == ranks.layout.annotations[0].text
    assert "No validations in this period." in str(latest.to_plotly_json())


def test_unknown_id_is_a_notice_page(dash_app):
    from helios_dash.pages.algorithm import layout

    shown = str(layout("no-such-algorithm", start="2026-01-01").to_plotly_json())
    assert "No algorithm 'no-such-algorithm'" in shown and "/leaderboard" in shown


def test_controls_write_the_url_and_keep_the_algorithm(dash_app):
    from helios_dash.pages.algorithm import update_algorithm_query

    view = {"algorithms": ["qaoa"], "domain": ["quantum"]}
    assert update_algorithm_query("2026-01-01", "2026-01-31", "day", "Europe/Paris", view) == (
        "?domain=quantum&start=2026-01-01&end=2026-01-31&granularity=day&algorithms=qaoa&tz=Europe/Paris")


# -- links and the export -----------------------------------------------------------------
def test_algorithm_href_keeps_the_shared_filters_only():
    from helios_dash.ui.links import algorithm_href

    filters = Filters(domains=("quantum",), types=("novel",), start=date(2026, 1, 1), end=date(2026, 1, 31),
                      tz="Asia/Tokyo", algorithms=("a", "b"), sort="tests:desc")
    assert algorithm_href("q/aoa x", filters) == (
        "/algorithms/q%2Faoa%20x?domain=quantum&type=novel&start=2026-01-01&end=2026-01-31&tz=Asia/Tokyo")
    assert algorithm_href("qaoa") == "/algorithms/qaoa"


def test_overview_and_compare_names_lead_to_the_algorithm_page(dash_app, settled):
    from helios_dash.pages.compare import differences_table, metrics_table
    from helios_dash.pages.overview import leaders_table
    from helios_dash.services.compare import compare_algorithms
    from helios_dash.services.overview import top_algorithms

    filters = Filters(domains=("quantum",), tz="Europe/Paris")
    top = top_algorithms(filters)
    shown = str(leaders_table(top, filters).to_plotly_json())
    assert f"/algorithms/{top.iloc[0]['algorithm_id']}?domain=quantum&tz=Europe/Paris" in shown
    chosen = Filters(algorithms=tuple(top["algorithm_id"][:2]), tz="Europe/Paris")
    comparison = compare_algorithms(chosen)
    for table in (metrics_table(comparison.metrics, chosen),
                  differences_table(comparison.differences, comparison.metrics, chosen)):
        assert f"/algorithms/{top.iloc[1]['algorithm_id']}?tz=Europe/Paris" in str(table.to_plotly_json())


def test_leaderboard_names_render_as_links(dash_app):
    from helios_dash.pages.leaderboard import column_defs

    name = next(c for c in column_defs([("rank", True)], False) if c["field"] == "name")
    assert name["cellRenderer"] == "AlgorithmLink"
    assert name["cellRendererParams"]["path"] == "/algorithms/"


def test_download_of_the_algorithm_page(dash_app, settled):
    from helios_dash.pages._downloads import export_page

    algorithm = busiest(settled)
    mine = plain_board(plain_validations(settled, "quantum")).set_index("algorithm_id").loc[algorithm]
    view = {"algorithms": [algorithm], "tz": ["Europe/Paris"]}
    with dash_app.server.test_request_context():
        csv, csv_message = export_page("algorithm", "csv", view)
        json, json_message = export_page("algorithm", "json", view)
    assert csv_message == json_message == ""
    header, row = _text(csv).splitlines()[:2]
    assert header.startswith('"Algorithm","Domain","Type","Rank in domain"')
    assert f",{int(mine['rank'])},{int(mine['rank_best'])},{int(mine['rank_worst'])}," in row
    assert f"/algorithms/{algorithm}?tz=Europe/Paris" in _text(json)


def _text(data: dict) -> str:
    import base64

    return base64.b64decode(data["content"]).decode() if data.get("base64") else data["content"]


def test_rank_periods_on_hand_made_rows_with_a_single_validation():
    from helios_dash.services.algorithm import rank_periods

    rows = pd.DataFrame([  # week, algorithm, quality, speedup, tests; "c" has one validation in week 2
        (1, "a", 90, 1.0, 1), (1, "a", 80, 1.0, 1), (1, "b", 70, 1.0, 1), (1, "b", 72, 1.0, 1),
        (1, "c", 50, 1.0, 1), (1, "c", 51, 1.0, 1), (2, "a", 60, 1.0, 1), (2, "a", 62, 1.0, 1),
        (2, "b", 90, 2.0, 1), (2, "b", 91, 2.0, 1), (2, "c", 75, 1.0, 1),
    ], columns=["week", "algorithm_id", "quality", "speedup", "tests"])
    sums = rows.assign(period_start=rows["week"], validations=1, sum_quality=rows["quality"],
                       sum_square_quality=rows["quality"] ** 2, sum_speedup=rows["speedup"],
                       successes=(rows["quality"] > 70).astype(int)).groupby(
        ["period_start", "algorithm_id"], as_index=False)[
        ["validations", "sum_quality", "sum_square_quality", "sum_speedup", "tests", "successes"]].sum()
    for algorithm in ("a", "b", "c"):
        history = rank_periods(sums, algorithm)
        for week, part in rows.groupby("week"):
            expected = plain_board(part).set_index("algorithm_id").loc[algorithm]
            got = history.set_index("period_start").loc[week]
            assert [int(got[k]) for k in ("rank", "rank_best", "rank_worst", "peers")] == [
                int(expected["rank"]), int(expected["rank_best"]), int(expected["rank_worst"]), 3], (algorithm, week)
    assert rank_periods(sums, "nobody").empty


def test_pdf_lists_each_named_algorithm_with_a_link_to_its_page():
    from io import BytesIO

    from pypdf import PdfReader

    from helios_dash.exports.model import Column, Report, Table
    from helios_dash.exports.pdf import algorithm_links, to_pdf

    filters = Filters(domains=("quantum",), start=date(2026, 1, 1), end=date(2026, 1, 31), sort="tests:desc")
    board = Table("leaderboard", "Leaderboard", (Column("name", "Algorithm"),), pd.DataFrame(
        {"algorithm_id": ["qaoa", "vqe", "qaoa"], "name": ["Adaptive QAOA", "Warm VQE", "Adaptive QAOA"]}))
    pairs = Table("differences", "Differences", (Column("name_a", "A"), Column("name_b", "B")), pd.DataFrame(
        {"algorithm_a": ["qaoa"], "name_a": ["Adaptive QAOA"], "algorithm_b": ["grover"], "name_b": ["Grover"]}))
    report = Report(title="t", filters=filters, generated_at=pd.Timestamp("2026-02-01", tz="UTC").to_pydatetime(),
                    link="http://127.0.0.1:8050/leaderboard?domain=quantum", tables=(board, pairs))
    query = "?domain=quantum&start=2026-01-01&end=2026-01-31"
    expected = [(name, f"http://127.0.0.1:8050/algorithms/{id_}{query}")
                for id_, name in (("qaoa", "Adaptive QAOA"), ("vqe", "Warm VQE"), ("grover", "Grover"))]
    assert algorithm_links(report) == expected
    reader = PdfReader(BytesIO(to_pdf(report)))
    uris = {a.get_object()["/A"]["/URI"] for page in reader.pages for a in page.get("/Annots", [])}
    assert {url for _, url in expected} <= uris
    assert "Algorithm pages" in "".join(page.extract_text() for page in reader.pages)
