"""Bad rows: counted over the whole file, the first ones described, values quoted short."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

import numpy as np

from ..errors import BadRequest
from .sources import COLUMNS

MAX_DETAILS = 100  # problems listed in BadRequest.details
MAX_NAMED = 5  # problems spelled out in the message itself
QUOTED_CHARS = 76  # a longer value is cut to this many characters (about 80 with quotes and "…")


@dataclass(frozen=True)
class Problem:
    """One kind of problem in one column (``None``: the row as a whole) for the rows where ``mask`` is set."""

    field: str | None
    mask: np.ndarray
    describe: Callable[[int], str]  # a row's position in the chunk -> what is wrong with it


class Report:
    """Bad rows of the whole file: how many, and the first problems in line order."""

    def __init__(self, name: str, unit: str):
        self.name = name
        self.unit = unit
        self.bad_rows = 0
        self.details: list[dict] = []

    def add(self, lines: np.ndarray, problems: list[Problem], others: list[dict] = ()) -> None:
        """Count a chunk's bad rows and describe the first; ``others`` are bad rows already described."""
        if not problems and not others:
            return
        if problems:
            self.bad_rows += int(np.logical_or.reduce([p.mask for p in problems]).sum())
        self.bad_rows += len(others)
        room = MAX_DETAILS - len(self.details)
        # The first `room` problems of the chunk are among the first `room` of each kind.
        found = [{"line": int(lines[i]), "field": p.field, "message": p.describe(i)}
                 for p in problems for i in np.flatnonzero(p.mask)[:room]]
        self.details += sorted(found + list(others), key=_line_order)[:room]

    def add_described(self, bad_rows: int, details: list[dict]) -> None:
        """Count bad rows found and described elsewhere (in the store, after the file was read)."""
        self.bad_rows += bad_rows
        self.details = sorted(self.details + details, key=_line_order)[:MAX_DETAILS]

    def error(self) -> BadRequest:
        """The file's rejection: how many bad rows, the first ones spelled out."""
        named = "; ".join(self._where(d) + d["message"] for d in self.details[:MAX_NAMED])
        more = "; ..." if self.bad_rows > MAX_NAMED or len(self.details) > MAX_NAMED else ""
        rows = "row" if self.bad_rows == 1 else "rows"
        return BadRequest(f"{self.name} has {self.bad_rows} bad {rows}, so nothing was imported: {named}{more}",
                          self.details)

    def _where(self, detail: dict) -> str:
        column = f", column {detail['field']}" if detail["field"] else ""
        return f"{self.unit} {detail['line']}{column}: "


def _line_order(detail: dict) -> tuple[int, int]:
    """Details in line order, a whole-row problem before the columns' problems of its line."""
    return detail["line"], -1 if detail["field"] is None else COLUMNS.index(detail["field"])


def show(value) -> str:
    """A value as messages quote it: numbers bare (150, not 150.0), text in quotes and cut short."""
    if isinstance(value, (float, np.floating)):
        return show_float(float(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat()
    return quote(str(value))


def show_float(value: float) -> str:
    """The shortest text that reads back as ``value``, without a trailing ``.0``."""
    text = repr(value)
    return text[:-2] if text.endswith(".0") else text


def quote(text: str) -> str:
    """``'text'``, cut to about 80 characters: a 10 MB value must not fill the terminal."""
    if len(text) <= QUOTED_CHARS:
        return repr(text)
    return f"{text[:QUOTED_CHARS] + '…'!r} ({len(text):,} characters)"


def bare(text: str) -> str:
    """A number as the file wrote it, cut to about 80 characters like quoted text."""
    text = text.strip()
    if len(text) <= QUOTED_CHARS:
        return text
    return f"{text[:QUOTED_CHARS]}… ({len(text):,} characters)"
