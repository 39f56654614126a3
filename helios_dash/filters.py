"""``Filters``: the one description of a view, shared by pages, API and exports.

Its query-string form is a public interface (``domain``, ``type``, ``start``,
``end``, ``granularity``, ``algorithms``, ``sort``, ``tz``); defaults are left
out so that shared links stay short.
"""
from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable, Mapping
from zoneinfo import ZoneInfo, available_timezones

from .domain.types import ALGORITHM_TYPES, TYPE_LABELS, type_label  # noqa: F401 (re-exported: schema, importer)

GRANULARITIES = ("day", "week", "month")
DEFAULT_GRANULARITY = "week"
DEFAULT_TZ = "UTC"

# What a view may ask for; anything beyond is refused (a notice on pages, a 400 in the API).
# No validation predates 1970, and staying far from years 1 and 9999 keeps every date
# computation (UTC bounds in any timezone, the previous period) clear of datetime's limits.
DATE_MIN, DATE_MAX = date(1970, 1, 1), date(2199, 12, 31)
MAX_REPEATS = 1_000  # values of one repeatable parameter, duplicates included: counted before any work
MAX_ALGORITHM_IDS = 1_000
MAX_TEXT_LENGTH = 200  # characters in one value: an id, a date, a timezone, a search
# C0 and C1 control characters, and lone surrogates (text that cannot be encoded as UTF-8).
_UNSAFE_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# The comma-separated form of the most algorithm ids allowed.
_ALGORITHMS_LENGTH = MAX_ALGORITHM_IDS * (MAX_TEXT_LENGTH + 1)


@dataclass(frozen=True)
class Filters:
    """What a view shows. Empty tuples and ``None`` mean "no restriction"."""

    domains: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    start: date | None = None
    end: date | None = None
    granularity: str = DEFAULT_GRANULARITY
    algorithms: tuple[str, ...] = ()
    sort: str | None = None
    tz: str = DEFAULT_TZ

    def __post_init__(self):
        for name in ("domains", "types", "algorithms"):  # duplicates dropped, first ones kept
            object.__setattr__(self, name, tuple(dict.fromkeys(getattr(self, name))))
        if self.granularity not in GRANULARITIES:
            raise ValueError(f"granularity must be one of {', '.join(GRANULARITIES)}")
        bad_types = set(self.types) - set(ALGORITHM_TYPES)
        if bad_types:
            raise ValueError(f"unknown algorithm type(s): {', '.join(sorted(bad_types))}")
        for day in (self.start, self.end):
            if day is not None and not DATE_MIN <= day <= DATE_MAX:
                raise ValueError(f"dates must be from {DATE_MIN} to {DATE_MAX}, not {day}")
        if self.start and self.end and self.start > self.end:
            raise ValueError("start must not be after end")
        zone_info(self.tz)

    def replace(self, **changes) -> "Filters":
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    @property
    def zone(self) -> ZoneInfo:
        return zone_info(self.tz)

    def utc_bounds(self) -> tuple[datetime | None, datetime | None]:
        """[start, end) in UTC: ``start`` and ``end`` are whole days in ``tz``, end inclusive."""
        lower = _local_midnight_utc(self.start, self.zone) if self.start else None
        upper = _local_midnight_utc(self.end + timedelta(days=1), self.zone) if self.end else None
        return lower, upper

    def previous_period(self) -> "Filters | None":
        """The period of equal length just before this one; None if the range is open or it would start before 1970."""
        if not (self.start and self.end):
            return None
        days = (self.end - self.start).days + 1
        start = self.start - timedelta(days=days)
        if start < DATE_MIN:  # no data can be there, and a shortened period would not compare like with like
            return None
        return self.replace(start=start, end=self.start - timedelta(days=1))

    def to_query(self) -> list[tuple[str, str]]:
        """Query-string pairs for this view, defaults left out."""
        pairs = [("domain", d) for d in self.domains] + [("type", t) for t in self.types]
        if self.start:
            pairs.append(("start", self.start.isoformat()))
        if self.end:
            pairs.append(("end", self.end.isoformat()))
        if self.granularity != DEFAULT_GRANULARITY:
            pairs.append(("granularity", self.granularity))
        if self.algorithms:
            pairs.append(("algorithms", ",".join(self.algorithms)))
        if self.sort:
            pairs.append(("sort", self.sort))
        if self.tz != DEFAULT_TZ:
            pairs.append(("tz", self.tz))
        return pairs

    @classmethod
    def from_query(cls, params: Mapping[str, str | Iterable[str]]) -> tuple["Filters", list[str]]:
        """Parse a query string; bad values are dropped and described in the notices, never raised."""
        notices: list[str] = []
        fields = {
            "domains": tuple(d for d in _texts(params, "domain", notices) if d),
            "types": _known_types(_texts(params, "type", notices), notices),
            "algorithms": _algorithm_ids(params, notices),
            **_date_range(params, notices),
            **_view_settings(params, notices),
        }
        return cls(**fields), list(dict.fromkeys(notices))


def text_problem(value, max_length: int = MAX_TEXT_LENGTH) -> str | None:
    """What makes ``value`` unfit as a filter value ("is not text", ...), or None."""
    if not isinstance(value, str):
        return "is not text"
    if len(value) > max_length:
        return f"is longer than {max_length:,} characters"
    if _UNSAFE_CHARACTERS.search(value):
        return "contains control characters or invalid Unicode"
    return None


def zone_info(name: str) -> ZoneInfo:
    """The named IANA timezone, or ValueError with a readable message."""
    # Only names from the tz database: for some others ("America", a long name) ZoneInfo raises OSError.
    if not isinstance(name, str) or name not in _zone_names():
        raise ValueError(f"unknown timezone {_shown(name)}")
    return ZoneInfo(name)


@functools.cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def _local_midnight_utc(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(timezone.utc)


def _shown(value) -> str:
    text = repr(value) if isinstance(value, str) else type(value).__name__
    return text if len(text) <= 60 else text[:57] + "..."


def _given(params: Mapping, key: str) -> list | tuple:
    """The values of ``key`` as given: Dash passes a str or a list; None means absent."""
    value = params.get(key)
    if value is None:
        return ()
    return value if isinstance(value, (list, tuple)) else (value,)


def _texts(params: Mapping, key: str, notices: list[str], max_length: int = MAX_TEXT_LENGTH) -> list[str]:
    """The usable values of ``key``; none at all if there are too many."""
    values = _given(params, key)
    if len(values) > MAX_REPEATS:  # refused unread: a 200,000-item list costs nothing
        notices.append(f"Ignored {key}: more than {MAX_REPEATS:,} values.")
        return []
    return [value for value in values if _usable(key, value, notices, max_length)]


def _first_text(params: Mapping, key: str, notices: list[str]) -> str | None:
    """The first value of a single-valued parameter, if usable (the others are not read)."""
    values = _given(params, key)
    return values[0] if values and _usable(key, values[0], notices) else None


def _usable(key: str, value, notices: list[str], max_length: int = MAX_TEXT_LENGTH) -> bool:
    problem = text_problem(value, max_length)
    if problem:
        notices.append(f"Ignored {key}: a value {problem}.")
    return problem is None


def _known_types(values: list[str], notices: list[str]) -> tuple[str, ...]:
    distinct = list(dict.fromkeys(values))
    if len(distinct) > len(ALGORITHM_TYPES):  # one notice, not one per value
        notices.append(f"Ignored type: {len(distinct):,} different values, but there are only "
                       f"{len(ALGORITHM_TYPES)} algorithm types.")
        return ()
    notices.extend(f"Ignored unknown algorithm type {value!r}." for value in distinct if value not in ALGORITHM_TYPES)
    return tuple(value for value in distinct if value in ALGORITHM_TYPES)


def _algorithm_ids(params: Mapping, notices: list[str]) -> tuple[str, ...]:
    """``algorithms=a,b`` (repeatable): the ids, counted before they are split."""
    values = _texts(params, "algorithms", notices, max_length=_ALGORITHMS_LENGTH)
    if sum(value.count(",") + 1 for value in values) > MAX_ALGORITHM_IDS:
        notices.append(f"Ignored algorithms: more than {MAX_ALGORITHM_IDS:,} ids.")
        return ()
    ids = [a for value in values for a in value.split(",") if a]
    if any(len(a) > MAX_TEXT_LENGTH for a in ids):
        notices.append(f"Ignored algorithms: an id is longer than {MAX_TEXT_LENGTH} characters.")
        return ()
    return tuple(ids)


def _date_range(params: Mapping, notices: list[str]) -> dict:
    """``start`` and ``end`` when given and valid; neither if start is after end."""
    days = {}
    for key in ("start", "end"):
        value = _first_text(params, key, notices)
        day = _parse_day(key, value, notices) if value is not None else None
        if day:
            days[key] = day
    if len(days) == 2 and days["start"] > days["end"]:
        notices.append("Ignored the date range: start is after end.")
        return {}
    return days


def _parse_day(key: str, value: str, notices: list[str]) -> date | None:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        notices.append(f"Ignored {key}={value!r}: not an ISO date (YYYY-MM-DD).")
        return None
    if not DATE_MIN <= day <= DATE_MAX:
        notices.append(f"Ignored {key}={value!r}: dates run from {DATE_MIN} to {DATE_MAX}.")
        return None
    return day


def _view_settings(params: Mapping, notices: list[str]) -> dict:
    """``granularity``, ``tz`` and ``sort`` when given and valid."""
    settings = {}
    granularity = _first_text(params, "granularity", notices)
    if granularity in GRANULARITIES:
        settings["granularity"] = granularity
    elif granularity is not None:
        notices.append(f"Ignored granularity={granularity!r}: use day, week or month.")
    tz = _first_text(params, "tz", notices)
    if tz is not None and tz in _zone_names():
        settings["tz"] = tz
    elif tz is not None:
        notices.append(f"Ignored unknown timezone {tz!r}.")
    sort = _first_text(params, "sort", notices)
    if sort is not None:
        settings["sort"] = sort or None
    return settings
