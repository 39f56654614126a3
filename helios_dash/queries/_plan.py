"""Which rollup grain answers which part of a UTC range: the coarsest block that no boundary cuts.

A range [lower, upper) is split into whole four-week blocks (from the epoch), UTC days,
then hours, then quarter hours, and
raw rows for what is left (an edge off the 15-minute grid). A *cut* is an instant where
the answer's label changes (a local midnight for a daily series, the start of the
current period for a rank change): a block with a cut strictly inside is split into the
next finer grain, so every block read lies wholly inside one label. Instants are
integer microseconds since the epoch, so the plan is exact.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np
import pandas as pd

US = 1_000_000
GRAIN_US = {"four_weeks": 28 * 86_400 * US, "day": 86_400 * US, "hour": 3_600 * US, "quarter": 900 * US}  # coarsest first
_LEVELS = list(GRAIN_US)

Range = tuple[int | None, int | None]  # [start, end); None is unbounded


@dataclass
class Plan:
    """Bucket ranges to read per grain (``bucket = floor(epoch / grain)``) and raw microsecond ranges."""

    buckets: dict[str, list[Range]] = field(default_factory=lambda: {g: [] for g in GRAIN_US})
    raw: list[tuple[int, int]] = field(default_factory=list)


def to_us(moment: datetime | None) -> int | None:
    """Microseconds since the epoch of an aware datetime (None stays None)."""
    if moment is None:
        return None
    delta = moment.astimezone(timezone.utc) - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * US + delta.microseconds


def plan_blocks(lower: int | None, upper: int | None, cuts=()) -> Plan:
    """The blocks covering [lower, upper) (microseconds, None unbounded) that no cut splits."""
    plan = Plan()
    cuts = sorted(set(int(c) for c in cuts))
    if lower is not None and upper is not None and lower >= upper:
        return plan

    def inside(lo, hi):
        """Cuts strictly between lo and hi (None unbounded)."""
        start = 0 if lo is None else bisect.bisect_right(cuts, lo)
        end = len(cuts) if hi is None else bisect.bisect_left(cuts, hi)
        return cuts[start:end]

    def cover(lo, hi, level: int) -> None:
        if lo is not None and hi is not None and lo >= hi:
            return
        if level == len(_LEVELS):
            plan.raw.append((lo, hi))
            return
        grain = _LEVELS[level]
        size = GRAIN_US[grain]
        first = None if lo is None else -(-lo // size)  # first whole block
        stop = None if hi is None else hi // size  # one past the last whole block
        if first is not None and stop is not None and first >= stop:
            cover(lo, hi, level + 1)
            return
        if lo is not None:
            cover(lo, first * size, level + 1)
        start = first
        whole = inside(None if first is None else first * size, None if stop is None else stop * size)
        for block in sorted({c // size for c in whole if c % size}):
            _add(plan.buckets[grain], start, block)
            cover(block * size, (block + 1) * size, level + 1)
            start = block + 1
        _add(plan.buckets[grain], start, stop)
        if hi is not None:
            cover(stop * size, hi, level + 1)

    cover(lower, upper, 0)
    return plan


def _add(ranges: list[Range], start: int | None, stop: int | None) -> None:
    """Append [start, stop), merged with the previous range when they touch."""
    if start is not None and stop is not None and start >= stop:
        return
    if ranges and ranges[-1][1] is not None and ranges[-1][1] == start:
        ranges[-1] = (ranges[-1][0], stop)
    else:
        ranges.append((start, stop))


# -- cuts: where a local label (hour, day, week, month) changes ---------------------------
def local_cuts(lower: int, upper: int, tz: str, unit: str) -> list[int]:
    """Every instant in (lower, upper) where the local ``unit`` ("hour", "day", "week", "month") may change.

    Within a stretch of constant UTC offset the local hours and midnights are regular;
    the offset changes themselves (DST, a zone's history) are cuts too. Works for any
    offset, even ones off the 15-minute grid (Africa/Monrovia before 1972).
    """
    cuts: list[int] = []
    for start, stop, offset in _offset_stretches(lower, upper, tz):
        cuts.append(start)
        step = 3_600 if unit == "hour" else 86_400
        first = -(-(start // US + offset) // step) * step - offset  # first local boundary >= start (seconds)
        instants = np.arange(first, -(-stop // US), step, dtype=np.int64)
        if unit in ("week", "month"):
            local_days = pd.to_datetime(instants + offset, unit="s")
            keep = local_days.day_of_week == 0 if unit == "week" else local_days.day == 1
            instants = instants[np.asarray(keep)]
        cuts.extend(int(s) * US for s in instants)
    return [c for c in cuts if lower < c < upper]


def _offset_stretches(lower: int, upper: int, tz: str) -> list[tuple[int, int, int]]:
    """[start, stop, offset seconds) stretches of constant UTC offset covering [lower, upper)."""
    hours = np.arange(lower // US // 3_600, upper // US // 3_600 + 2, dtype=np.int64) * 3_600
    offsets = _offsets(hours, tz)
    stretches, start = [], lower
    for i in np.flatnonzero(offsets[1:] != offsets[:-1]):
        change = _first_with_offset(int(hours[i]), int(hours[i + 1]), int(offsets[i + 1]), tz)
        if lower < change * US < upper:
            stretches.append((start, change * US, int(offsets[i])))
            start = change * US
    stretches.append((start, upper, int(_offsets(np.array([start // US]), tz)[0])))
    return stretches


def _offsets(seconds: np.ndarray, tz: str) -> np.ndarray:
    """UTC offset in seconds of ``tz`` at each instant, as pandas converts (what pages show)."""
    utc = pd.to_datetime(seconds, unit="s", utc=True)
    local = pd.DatetimeIndex(utc).tz_convert(tz).tz_localize(None)
    return ((local - utc.tz_localize(None)) // pd.Timedelta(seconds=1)).to_numpy(dtype=np.int64)


def _first_with_offset(before: int, after: int, offset: int, tz: str) -> int:
    """The first second in (before, after] at which ``tz`` has ``offset`` (bisection)."""
    while after - before > 1:
        middle = (before + after) // 2
        if _offsets(np.array([middle]), tz)[0] == offset:
            after = middle
        else:
            before = middle
    return after
