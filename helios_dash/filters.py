"""``Filters``: the one description of a view, shared by pages, API and exports.

Its query-string form is a public interface (``domain``, ``type``, ``start``,
``end``, ``granularity``, ``algorithms``, ``sort``, ``tz``); defaults are left
out so that shared links stay short.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ALGORITHM_TYPES = ("novel", "baseline", "improved", "hybrid")
GRANULARITIES = ("day", "week", "month")
DEFAULT_GRANULARITY = "week"
DEFAULT_TZ = "UTC"


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
        for name in ("domains", "types", "algorithms"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if self.granularity not in GRANULARITIES:
            raise ValueError(f"granularity must be one of {', '.join(GRANULARITIES)}")
        bad_types = set(self.types) - set(ALGORITHM_TYPES)
        if bad_types:
            raise ValueError(f"unknown algorithm type(s): {', '.join(sorted(bad_types))}")
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
        """The period of equal length just before this one, or None if the range is open."""
        if not (self.start and self.end):
            return None
        days = (self.end - self.start).days + 1
        return self.replace(start=self.start - timedelta(days=days), end=self.start - timedelta(days=1))

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
        """Parse a query string; bad values are dropped and described in the notices."""
        values = {k: _as_list(v) for k, v in params.items()}
        notices: list[str] = []
        fields: dict = {
            "domains": tuple(v for v in values.get("domain", []) if v),
            "algorithms": tuple(a for v in values.get("algorithms", []) for a in v.split(",") if a),
        }
        types = []
        for value in values.get("type", []):
            if value in ALGORITHM_TYPES:
                types.append(value)
            else:
                notices.append(f"Ignored unknown algorithm type {value!r}.")
        fields["types"] = tuple(types)
        for key in ("start", "end"):
            for value in values.get(key, [])[:1]:
                try:
                    fields[key] = date.fromisoformat(value)
                except ValueError:
                    notices.append(f"Ignored {key}={value!r}: not an ISO date (YYYY-MM-DD).")
        if fields.get("start") and fields.get("end") and fields["start"] > fields["end"]:
            notices.append("Ignored the date range: start is after end.")
            fields.pop("start"), fields.pop("end")
        for value in values.get("granularity", [])[:1]:
            if value in GRANULARITIES:
                fields["granularity"] = value
            else:
                notices.append(f"Ignored granularity={value!r}: use day, week or month.")
        for value in values.get("tz", [])[:1]:
            try:
                zone_info(value)
                fields["tz"] = value
            except ValueError:
                notices.append(f"Ignored unknown timezone {value!r}.")
        for value in values.get("sort", [])[:1]:
            fields["sort"] = value or None
        return cls(**fields), notices


def zone_info(name: str) -> ZoneInfo:
    """The named IANA timezone, or ValueError with a readable message."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f"unknown timezone {name!r}") from None


def _local_midnight_utc(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(timezone.utc)


def _as_list(value: str | Iterable[str] | None) -> list[str]:
    # Dash passes its routing inputs (a None, a number) to every layout along with the query.
    if value is None:
        return []
    if isinstance(value, (str, int, float)):
        return [str(value)]
    return [str(v) for v in value]
