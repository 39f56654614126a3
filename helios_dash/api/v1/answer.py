"""A v1 read's answer: the success envelope, pagination with ``Link`` headers, ``ETag`` and 304.

The ETag is a strong validator over what the answer says (``data`` and ``meta.pagination``,
not the timestamp and request id), so it changes exactly when the body would: after a write
that changes these numbers (services memoize per data version, so the body is never older
than the data version), and between principals who see different fields (redaction).

``Cache-Control: private, no-cache``: a client may keep an answer but asks again each time
(a 304 costs no body), so nothing it shows is older than the last write. The guide's TTLs
(leaderboard 5 min, algorithm 1 h) are how long the server keeps an unchanged answer
(``services.cached``); a ``max-age`` would let clients show numbers a write had changed.
"""
from __future__ import annotations

import hashlib
import json
from urllib.parse import urlencode

from flask import Response, g, request

from ...exports.json import envelope_meta
from ...request_ids import request_id
from ..blueprint import CACHE_CONTROL_KEY
from .query import Page

CACHE_CONTROL = "private, no-cache"
# Suffixes a compressing layer (flask-compress) appends to a strong ETag: "abc:gzip" is still "abc".
_CODING_SUFFIXES = (":gzip", ":br", ":deflate", ":zstd")


def pagination(page: Page, total: int) -> dict:
    """``meta.pagination``: page, per_page, total, pages (at least 1, so "last" always exists)."""
    return {"page": page.number, "per_page": page.size, "total": total, "pages": max(1, -(-total // page.size))}


def link_header(paging: dict) -> str:
    """RFC 8288 ``Link``: first, prev (when there is one), next (when there is one), last."""
    number, last = paging["page"], paging["pages"]
    targets = [("first", 1)]
    if number > 1:
        targets.append(("prev", min(number - 1, last)))  # beyond the end, "prev" is the last real page
    if number < last:
        targets.append(("next", number + 1))
    targets.append(("last", last))
    return ", ".join(f'<{page_url(target)}>; rel="{rel}"' for rel, target in targets)


def page_url(number: int) -> str:
    """This request's URL at page ``number``; a key sent as ``?api_key=`` is never repeated in a link."""
    pairs = [(key, value) for key, value in request.args.items(multi=True) if key not in ("page", "api_key")]
    return f"{request.base_url}?{urlencode(pairs + [('page', str(number))])}"


def answer(data, paging: dict | None = None) -> Response:
    """The envelope of ``data`` (``paging``: a list's ``meta.pagination``), or 304 if the client holds it."""
    meaning = {"data": data, "pagination": paging}
    etag = '"' + hashlib.sha256(canonical(meaning)).hexdigest()[:40] + '"'
    headers = {"ETag": etag, "Vary": "Authorization, X-API-Key, Cookie"}
    if paging is not None:
        headers["Link"] = link_header(paging)
    setattr(g, CACHE_CONTROL_KEY, CACHE_CONTROL)  # applied after the guard's no-store (init_api)
    if holds(request.headers.get("If-None-Match", ""), etag):
        return Response(status=304, headers=headers)
    meta = envelope_meta(request_id())
    if paging is not None:
        meta["pagination"] = paging
    body = json.dumps({"status": "success", "data": data, "meta": meta}, ensure_ascii=False, allow_nan=False)
    return Response(body, status=200, mimetype="application/json", headers=headers)


def canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def holds(if_none_match: str, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (weak comparison, as RFC 9110 asks for this header)."""
    if if_none_match.strip() == "*":
        return True
    for tag in if_none_match.split(","):
        tag = tag.strip().removeprefix("W/")
        for suffix in _CODING_SUFFIXES:
            if tag.endswith(suffix + '"'):
                tag = tag[: -len(suffix) - 1] + '"'
        if tag == etag:
            return True
    return False
