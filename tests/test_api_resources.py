"""GET /api/v1 read resources (domains, algorithms, leaderboard, validations), checked against plain SQL and pandas.

Expected numbers come from the raw validations table (SQL text, pandas, scipy), never from the services.
Also: pagination (pages, Link headers, edges), ETag / If-None-Match, Cache-Control, X-Request-Id, 400 and 404.
"""
from __future__ import annotations

import re
import time
from datetime import datetime, timezone

import pandas as pd
import pytest
import sqlalchemy as sa
from scipy import stats

from tests.auth import anonymous_client, token_for

LINK = re.compile(r'<([^>]+)>; rel="(\w+)"')


# -- oracles ------------------------------------------------------------------------------------------
def raw_rows(store, domain: str | None = None) -> pd.DataFrame:
    frame = store.read(sa.text("SELECT v.id, v.algorithm_id, v.domain_id, v.quality, v.speedup, v.tests, v.created_at, "
                               "a.name FROM validations v JOIN algorithms a ON a.id = v.algorithm_id"))
    return frame if domain is None else frame[frame["domain_id"] == domain]


def oracle_board(store, domain: str | None = None) -> pd.DataFrame:
    """Per algorithm: mean quality, speedup, tests, count and the Student-t 95% interval (clipped to 0-100),
    ranked by quality, speedup, tests, then id."""
    rows = raw_rows(store, domain)
    board = rows.groupby(["algorithm_id", "name", "domain_id"], as_index=False).agg(
        mean_quality=("quality", "mean"), std=("quality", "std"), n=("quality", "size"),
        mean_speedup=("speedup", "mean"), tests=("tests", "sum"))
    half = stats.t.ppf(0.975, board["n"] - 1) * board["std"] / board["n"] ** 0.5
    board["ci_low"] = (board["mean_quality"] - half).clip(lower=0).where(board["n"] >= 2)
    board["ci_high"] = (board["mean_quality"] + half).clip(upper=100).where(board["n"] >= 2)
    return board.sort_values(["mean_quality", "mean_speedup", "tests", "algorithm_id"],
                             ascending=[False, False, False, True], ignore_index=True)


def get(client, url: str, status: int = 200, **kwargs):
    response = client.get(url, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response


def links(response) -> dict[str, str]:
    return {rel: url for url, rel in LINK.findall(response.headers.get("Link", ""))}


def relative(url: str) -> str:
    return url.removeprefix("http://localhost")


# -- numbers --------------------------------------------------------------------------------------------
def test_domain_leaderboard_matches_plain_sql(dash_app, settled):
    body = get(dash_app.server.test_client(), "/api/v1/leaderboard/quantum?per_page=200").get_json()
    expected = oracle_board(settled, "quantum")
    assert body["status"] == "success" and body["meta"]["version"] == "1.0"
    assert [r["algorithm_id"] for r in body["data"]] == expected["algorithm_id"].tolist()
    assert [r["rank"] for r in body["data"]] == list(range(1, len(expected) + 1))
    assert [r["mean_quality"] for r in body["data"]] == pytest.approx(expected["mean_quality"].tolist())
    assert body["meta"]["pagination"] == {"page": 1, "per_page": 200, "total": len(expected), "pages": 1}


def test_leaderboard_pages_walked_by_link_rebuild_the_whole_board(dash_app, settled):
    client = dash_app.server.test_client()
    expected = oracle_board(settled)["algorithm_id"].tolist()
    url, seen, pages = "/api/v1/leaderboard?per_page=7", [], 0
    while url:
        response = get(client, url)
        seen += [r["algorithm_id"] for r in response.get_json()["data"]]
        pages += 1
        url = relative(links(response)["next"]) if "next" in links(response) else None
    assert seen == expected
    last = -(-len(expected) // 7)
    assert pages == last
    final = get(client, f"/api/v1/leaderboard?per_page=7&page={last}")
    assert len(final.get_json()["data"]) == len(expected) - 7 * (last - 1)
    assert set(links(final)) == {"first", "prev", "last"}
    assert relative(links(final)["first"]) == "/api/v1/leaderboard?per_page=7&page=1"


def test_a_page_beyond_the_last_is_empty_and_points_back(dash_app, settled):
    client = dash_app.server.test_client()
    total = len(oracle_board(settled, "quantum"))
    response = get(client, "/api/v1/leaderboard/quantum?per_page=5&page=999")
    body = response.get_json()
    assert body["data"] == [] and body["meta"]["pagination"]["total"] == total
    pages = -(-total // 5)
    assert body["meta"]["pagination"]["pages"] == pages
    assert set(links(response)) == {"first", "prev", "last"}
    assert links(response)["prev"].endswith(f"page={pages}") and links(response)["last"].endswith(f"page={pages}")


@pytest.mark.parametrize("query, field", [("per_page=201", "per_page"), ("per_page=0", "per_page"),
                                          ("page=0", "page"), ("page=two", "page"), ("page=-1", "page")])
def test_page_out_of_range_is_a_400_naming_it(dash_app, query, field):
    """Page size over the maximum (200) is refused, not clamped: the client learns its real page size."""
    body = get(dash_app.server.test_client(), f"/api/v1/validations?{query}", 400).get_json()
    assert body["status"] == "error" and body["error"]["code"] == "VALIDATION_ERROR"
    assert [d["field"] for d in body["error"]["details"]] == [field]


def test_domains_match_plain_sql(dash_app, settled):
    body = get(dash_app.server.test_client(), "/api/v1/domains?per_page=200").get_json()
    catalog = settled.read(sa.text("SELECT id, name FROM domains ORDER BY id"))
    rows = raw_rows(settled)
    assert [d["id"] for d in body["data"]] == catalog["id"].tolist()
    for domain in body["data"]:
        mine = rows[rows["domain_id"] == domain["id"]]
        if mine.empty:
            assert domain["stats"] is None
            continue
        assert domain["stats"]["validations"] == len(mine)
        assert domain["stats"]["algorithms"] == mine["algorithm_id"].nunique()
        assert domain["stats"]["mean_quality"] == pytest.approx(mine["quality"].mean())
        assert domain["stats"]["success_rate"] == pytest.approx((mine["quality"] > 70).mean())


def test_domain_detail_has_stats_and_leaders(dash_app, settled):
    body = get(dash_app.server.test_client(), "/api/v1/domains/quantum").get_json()["data"]
    expected = oracle_board(settled, "quantum")
    assert body["id"] == "quantum" and body["stats"]["validations"] == len(raw_rows(settled, "quantum"))
    assert [r["algorithm_id"] for r in body["leaders"]] == expected["algorithm_id"].head(5).tolist()


def test_algorithm_detail_matches_plain_sql(dash_app, settled):
    board = oracle_board(settled, "quantum")
    algorithm = board[board["n"] >= 2].iloc[len(board) // 3]  # one from the middle, with an interval
    body = get(dash_app.server.test_client(), f"/api/v1/algorithms/{algorithm['algorithm_id']}").get_json()["data"]
    standing = body["standing"]
    assert body["id"] == algorithm["algorithm_id"] and body["domain_id"] == "quantum"
    assert standing["mean_quality"] == pytest.approx(algorithm["mean_quality"])
    assert standing["validations"] == algorithm["n"]
    assert (standing["ci_low"], standing["ci_high"]) == pytest.approx((algorithm["ci_low"], algorithm["ci_high"]))
    assert standing["rank"] == board.index[board["algorithm_id"] == algorithm["algorithm_id"]][0] + 1
    # Rank range by its definition, pair by pair: others entirely above, and others not entirely below.
    low, high = board["ci_low"].fillna(-1e9), board["ci_high"].fillna(1e9)
    assert standing["rank_best"] == 1 + int((low > algorithm["ci_high"]).sum())
    assert standing["rank_worst"] == int((~(high < algorithm["ci_low"])).sum())
    assert body["peers"] == len(board) and body["interval_level"] == 0.95
    assert body["domain_stats"]["validations"] == len(raw_rows(settled, "quantum"))
    assert 1 <= len(body["trend"]) <= 12 and sum(p["validations"] for p in body["trend"]) <= algorithm["n"]
    assert "author_email" not in body and "internal_notes" not in body  # a viewer's token


def test_algorithms_list_is_redacted_for_a_viewer_and_not_for_an_editor(dash_app, settled):
    server = dash_app.server
    viewer = get(server.test_client(), "/api/v1/algorithms?per_page=5")
    editor_token = token_for(settled, "editor", ("read",))
    editor = get(anonymous_client(server), "/api/v1/algorithms?per_page=5",
                 headers={"Authorization": f"Bearer {editor_token}"})
    assert all("author_email" not in r and "internal_notes" not in r for r in viewer.get_json()["data"])
    assert all("author_email" in r for r in editor.get_json()["data"])
    assert viewer.headers["ETag"] != editor.headers["ETag"]
    names = settled.read(sa.text("SELECT DISTINCT a.id, a.name FROM algorithms a JOIN validations v "
                                 "ON v.algorithm_id = a.id")).sort_values(["name", "id"])
    assert [r["algorithm_id"] for r in viewer.get_json()["data"]] == names["id"].head(5).tolist()
    assert viewer.get_json()["meta"]["pagination"]["total"] == len(names)


def test_validations_list_newest_first_matches_plain_sql(dash_app, settled):
    body = get(dash_app.server.test_client(),
               "/api/v1/validations?domain=quantum&start=2026-01-01&end=2026-06-30&per_page=30&page=2").get_json()
    rows = raw_rows(settled, "quantum")
    stamps = pd.to_datetime(rows["created_at"], utc=True)
    rows = rows[(stamps >= pd.Timestamp("2026-01-01", tz="UTC")) & (stamps < pd.Timestamp("2026-07-01", tz="UTC"))]
    rows = rows.assign(at=pd.to_datetime(rows["created_at"], utc=True)).sort_values(["at", "id"], ascending=False)
    assert body["meta"]["pagination"]["total"] == len(rows)
    assert [r["id"] for r in body["data"]] == rows["id"].iloc[30:60].tolist()
    assert all(r["domain_id"] == "quantum" and r["created_at"].endswith("Z") for r in body["data"])


# -- errors ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("query, field", [
    ("start=2026-13-01", "start"), ("end=yesterday", "end"), ("tz=Mars/Olympus", "tz"), ("type=magic", "type"),
    ("domain=atlantis", "domain"), ("granularity=hour", "granularity"), ("domian=quantum", "domian"),
    ("start=2026-05-01&end=2026-04-01", "start")])
def test_bad_filters_are_a_400_naming_the_field(dash_app, query, field):
    for path in ("/api/v1/leaderboard", "/api/v1/algorithms", "/api/v1/domains", "/api/v1/validations"):
        body = get(dash_app.server.test_client(), f"{path}?{query}", 400).get_json()
        assert body["error"]["code"] == "VALIDATION_ERROR", path
        assert field in [d["field"] for d in body["error"]["details"]], (path, body)


@pytest.mark.parametrize("path", ["/api/v1/leaderboard?sort=rank:sideways", "/api/v1/algorithms?sort=height:asc"])
def test_a_bad_sort_is_a_400_naming_sort(dash_app, path):
    body = get(dash_app.server.test_client(), path, 400).get_json()
    assert [d["field"] for d in body["error"]["details"]] == ["sort"]


@pytest.mark.parametrize("path", ["/api/v1/domains/atlantis", "/api/v1/leaderboard/atlantis",
                                  "/api/v1/algorithms/no-such-algorithm"])
def test_unknown_domain_or_algorithm_is_a_404_envelope(dash_app, path):
    response = get(dash_app.server.test_client(), path, 404)
    body = response.get_json()
    assert body["status"] == "error" and body["error"]["code"] == "NOT_FOUND" and body["error"]["message"]
    assert body["meta"]["request_id"] == response.headers["X-Request-Id"]


# -- caching --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/api/v1/leaderboard", "/api/v1/leaderboard/quantum", "/api/v1/algorithms",
                                  "/api/v1/domains"])
def test_etag_round_trip_gives_a_304(dash_app, path):
    client = dash_app.server.test_client()
    first = get(client, path)
    etag = first.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{40}"', etag)  # strong
    # Kept, but revalidated every time: no client shows numbers a write has changed (the TTLs are the server's).
    assert first.headers["Cache-Control"] == "private, no-cache"
    for sent in (etag, f'"other", {etag}', f"W/{etag}", "*"):
        again = get(client, path, 304, headers={"If-None-Match": sent, "X-Request-Id": "etag-check.1"})
        assert again.get_data() == b"" and again.headers["ETag"] == etag
        assert again.headers["X-Request-Id"] == "etag-check.1"
    get(client, path, 200, headers={"If-None-Match": '"something-else"'})
    assert get(client, path + "?per_page=3").headers["ETag"] != etag  # another page, another validator


def test_algorithm_detail_revalidates_with_its_etag(dash_app, settled):
    algorithm_id = oracle_board(settled, "quantum")["algorithm_id"].iloc[0]
    response = get(dash_app.server.test_client(), f"/api/v1/algorithms/{algorithm_id}")
    assert response.headers["Cache-Control"] == "private, no-cache"
    get(dash_app.server.test_client(), f"/api/v1/algorithms/{algorithm_id}", 304,
        headers={"If-None-Match": response.headers["ETag"]})


def test_etag_changes_after_a_write(runtime, client):
    """On a store of its own: a new validation changes the leaderboard, its ETag, and a 304 becomes a 200."""
    from helios_dash.demo import seed_demo
    from helios_dash.schema import validations

    seed_demo(runtime.store, validations=300)
    before = get(client, "/api/v1/leaderboard/quantum")
    leader = before.get_json()["data"][0]
    row = pd.DataFrame({"algorithm_id": [leader["algorithm_id"]], "domain_id": ["quantum"], "quality": [0.0],
                        "confidence": [0.9], "speedup": [1.0], "tests": [1], "validator": ["pytest"],
                        "created_at": [pd.Timestamp(datetime.now(timezone.utc))]})
    with runtime.store.write() as conn:
        runtime.store.append_frame(conn, validations, row)
    deadline = time.time() + 5
    after = before
    while time.time() < deadline:  # the data version is read once per poll tick (1 s here)
        after = client.get("/api/v1/leaderboard/quantum", headers={"If-None-Match": before.headers["ETag"]})
        if after.status_code == 200:
            break
        time.sleep(0.1)
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    mine = next(r for r in after.get_json()["data"] if r["algorithm_id"] == leader["algorithm_id"])
    assert mine["validations"] == leader["validations"] + 1
    assert mine["mean_quality"] == pytest.approx(leader["mean_quality"] * leader["validations"]
                                                 / (leader["validations"] + 1))


# -- request ids ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path, status", [("/api/v1/leaderboard", 200), ("/api/v1/domains/atlantis", 404),
                                          ("/api/v1/validations?page=0", 400)])
def test_a_valid_request_id_is_echoed_in_header_and_meta(dash_app, path, status):
    sent = "client-Req_42.x"
    response = get(dash_app.server.test_client(), path, status, headers={"X-Request-Id": sent})
    assert response.headers["X-Request-Id"] == sent and response.get_json()["meta"]["request_id"] == sent


@pytest.mark.parametrize("sent", ["x" * 65, "has space", "semi;colon", "ünicode", ""])
def test_an_invalid_request_id_is_replaced_by_a_new_one(dash_app, sent):
    response = get(dash_app.server.test_client(), "/api/v1/domains", headers={"X-Request-Id": sent})
    made = response.headers["X-Request-Id"]
    assert made != sent and re.fullmatch(r"req_[0-9a-f]{12}", made)
    assert response.get_json()["meta"]["request_id"] == made


def test_refusals_and_unknown_paths_carry_the_request_id(dash_app):
    refused = anonymous_client(dash_app.server).get("/api/v1/leaderboard", headers={"X-Request-Id": "anon-1"})
    missing = dash_app.server.test_client().get("/api/v1/nowhere", headers={"X-Request-Id": "lost-1"})
    assert refused.status_code == 401 and refused.headers["X-Request-Id"] == "anon-1"
    assert refused.get_json()["meta"]["request_id"] == "anon-1"
    assert missing.status_code == 404 and missing.headers["X-Request-Id"] == "lost-1"
    assert missing.get_json()["meta"]["request_id"] == "lost-1"


@pytest.mark.parametrize("sent", [None, "export-7"])
def test_json_export_meta_request_id_equals_its_header(dash_app, sent):
    headers = {"X-Request-Id": sent} if sent else {}
    response = dash_app.server.test_client().post("/api/v1/export/leaderboard", json={"format": "json"},
                                                  headers=headers)
    assert response.status_code == 200
    assert response.get_json()["meta"]["request_id"] == response.headers["X-Request-Id"]
    if sent:
        assert response.headers["X-Request-Id"] == sent


def test_links_never_repeat_a_query_key(dash_app, settled):
    raw = token_for(settled, "viewer", ("read",), kind="service")
    response = get(anonymous_client(dash_app.server), f"/api/v1/leaderboard?per_page=5&api_key={raw}&domain=quantum")
    assert set(links(response)) == {"first", "next", "last"}
    assert all("api_key" not in url and "domain=quantum" in url for url in links(response).values())


def test_a_compressed_answer_revalidates_with_its_coded_etag(dash_app):
    """httpx and browsers ask for gzip; the compressing layer marks the ETag (":gzip"), which still matches."""
    client = dash_app.server.test_client()
    first = get(client, "/api/v1/leaderboard", headers={"Accept-Encoding": "gzip"})
    assert first.headers["Content-Encoding"] == "gzip" and first.headers["ETag"].endswith(':gzip"')
    again = get(client, "/api/v1/leaderboard", 304, headers={"Accept-Encoding": "gzip",
                                                            "If-None-Match": first.headers["ETag"]})
    assert again.get_data() == b""
