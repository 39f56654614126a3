"""Deterministic demo data: domains, algorithms and validations with realistic structure.

Validations are drawn vectorised, in chunks that follow time: all timestamps of
the range are first spread over hour slots in proportion to a weekday x hour
intensity and to the algorithms active in each slot; chunk k then covers the
k-th run of slots and is sorted by ``created_at``. The table therefore ends up
sorted by time, which lets DuckDB's zone maps prune date-range filters, and
memory stays bounded by one chunk.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from tqdm import tqdm

from .. import schema
from ..errors import BadRequest, Conflict
from ..naming import slugify
from ..store import Store
from .catalog import DESCRIPTIONS, DOMAINS, EMAIL_DOMAIN, FIRST_NAMES, GENERAL_VALIDATORS, LAST_NAMES, NOTES

CHUNK_ROWS = 500_000  # rows generated and inserted at a time
SECOND_US = 1_000_000
HOUR_US = 3600 * SECOND_US
DAY_US = 24 * HOUR_US
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

# Relative validation volume by weekday (Monday first) and by UTC hour: runs are
# launched in working hours, peaking in the European afternoon.
WEEKDAY_WEIGHTS = np.array([1.0, 1.05, 1.05, 1.0, 0.85, 0.3, 0.25])
HOUR_WEIGHTS = 0.12 + np.exp(-0.5 * ((np.arange(24) - 14) / 3.0) ** 2)

TYPE_QUALITY = {"baseline": -4.0, "improved": 2.0, "novel": 3.0, "hybrid": 1.0}
# Log-speedup of an algorithm's median: (mean, spread between algorithms). Baselines sit at 1x.
TYPE_SPEEDUP = {"baseline": (0.0, 0.02), "improved": (np.log(1.4), 0.15),
                "novel": (np.log(2.2), 0.45), "hybrid": (np.log(1.8), 0.3)}
LATE_SHARE = 0.35  # non-baseline algorithms introduced during the range rather than before it
IMPROVING_SHARE, REGRESSING_SHARE = 0.18, 0.12
HYPOTHESES_PER_ALGORITHM = 6
NO_HYPOTHESIS_SHARE = 0.25
OWN_VALIDATOR_SHARE = 0.45  # the rest run on the general harnesses

_DOMAIN_IDS = [d.id for d in DOMAINS]
# Domain i's own harness sits at len(GENERAL_VALIDATORS) + i.
_VALIDATORS = list(GENERAL_VALIDATORS) + [d.validator for d in DOMAINS]


@dataclass(frozen=True)
class SeedResult:
    """How many rows :func:`seed_demo` wrote."""

    domains: int
    algorithms: int
    validations: int


@dataclass(frozen=True)
class _Algorithms:
    """Per-algorithm parameters, indexed like :func:`_catalogue_entries`."""

    ids: list[str]
    domain: np.ndarray  # index into DOMAINS
    start_slot: np.ndarray  # first hour slot with validations
    popularity: np.ndarray  # relative validation volume
    quality: np.ndarray  # mean quality at introduction
    trend: np.ndarray  # quality change over the algorithm's life (points)
    noise: np.ndarray  # standard deviation of quality
    speed_mu: np.ndarray  # log of the median speedup
    speed_sd: np.ndarray
    tests_mean: np.ndarray
    hypothesis_ids: list[str]  # HYPOTHESES_PER_ALGORITHM per algorithm, in algorithm order


class _ActiveSampler:
    """Draws algorithms by popularity among those active in an hour slot."""

    def __init__(self, start_slot: np.ndarray, popularity: np.ndarray):
        # Sorted by start, the algorithms active in a slot are a prefix.
        self.order = np.argsort(start_slot, kind="stable")
        self.starts = start_slot[self.order]
        self.cum_weight = np.cumsum(popularity[self.order])

    def active_count(self, slots: np.ndarray) -> np.ndarray:
        # Baselines are active from slot 0, so every slot has at least one algorithm.
        return np.searchsorted(self.starts, slots, side="right")

    def active_weight(self, slots: np.ndarray) -> np.ndarray:
        return self.cum_weight[self.active_count(slots) - 1]

    def draw(self, rng: np.random.Generator, slots: np.ndarray) -> np.ndarray:
        active = self.active_count(slots)
        target = rng.random(len(slots)) * self.cum_weight[active - 1]
        # The bound guards against target rounding up to the prefix's total weight.
        return self.order[np.minimum(np.searchsorted(self.cum_weight, target, side="right"), active - 1)]


@dataclass(frozen=True)
class _Plan:
    """Everything decided before the first validation row is drawn."""

    start_us: int
    end_us: int
    algorithms: _Algorithms
    algorithms_frame: pd.DataFrame
    sampler: _ActiveSampler
    slot_counts: np.ndarray  # validations per hour slot


def seed_demo(store: Store, validations: int = 200_000, seed: int = 42, days: int = 365,
              now: datetime | None = None, progress: bool = False) -> SeedResult:
    """Fill an empty store with deterministic demo data; raise ``Conflict`` if it holds data."""
    _check_arguments(validations, days)
    end_us = _to_us(_resolve_now(now))
    catalogue_rng, schedule_rng, rows_rng = (
        np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(3))
    plan = _plan(catalogue_rng, schedule_rng, validations, end_us - days * DAY_US, end_us)
    with store.write() as conn:
        _ensure_empty(conn)
        store.append_frame(conn, schema.domains, _domains_frame())
        store.append_frame(conn, schema.algorithms, plan.algorithms_frame)
        _append_validations(store, conn, plan, rows_rng, progress)
    return SeedResult(domains=len(DOMAINS), algorithms=len(plan.algorithms_frame), validations=validations)


def _check_arguments(validations: int, days: int) -> None:
    if validations < 0:
        raise BadRequest(f"validations must be 0 or more, not {validations}.")
    if days < 1:
        raise BadRequest(f"days must be 1 or more, not {days}.")


def _resolve_now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    # A naive time means UTC, as everywhere in the store.
    return now.replace(tzinfo=timezone.utc) if now.tzinfo is None else now.astimezone(timezone.utc)


def _to_us(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _ensure_empty(conn: Connection) -> None:
    tables = (schema.validations, schema.algorithms, schema.domains)
    # scalar_one() drains the result; DuckDB refuses the next statement while one is unfinished.
    held = {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for t in tables}
    if any(held.values()):
        summary = ", ".join(f"{rows} {name}" for name, rows in held.items() if rows)
        raise Conflict(
            f"The store already holds data ({summary}); demo data can only be seeded into an empty store.",
            details=[{"table": name, "rows": rows} for name, rows in held.items() if rows],
        )


# -- catalogue ----------------------------------------------------------------
def _catalogue_entries() -> list[tuple[int, str, str]]:
    """``(domain index, name, type)`` of every demo algorithm."""
    return [(index, name, kind) for index, domain in enumerate(DOMAINS) for name, kind in domain.algorithms()]


def _domains_frame() -> pd.DataFrame:
    return pd.DataFrame({"id": _DOMAIN_IDS, "name": [d.name for d in DOMAINS],
                         "description": [d.description for d in DOMAINS]})


def _plan(catalogue_rng: np.random.Generator, schedule_rng: np.random.Generator, validations: int,
          start_us: int, end_us: int) -> _Plan:
    entries = _catalogue_entries()
    n_slots = (end_us - start_us) // HOUR_US
    algorithms = _draw_algorithms(catalogue_rng, entries, n_slots)
    frame = _algorithms_frame(catalogue_rng, entries, start_us + algorithms.start_slot * HOUR_US)
    sampler = _ActiveSampler(algorithms.start_slot, algorithms.popularity)
    weights = _slot_weights(sampler, start_us, n_slots)
    counts = schedule_rng.multinomial(validations, weights / weights.sum())
    return _Plan(start_us, end_us, algorithms, frame, sampler, counts)


def _draw_algorithms(rng: np.random.Generator, entries: list[tuple[int, str, str]],
                     n_slots: int) -> _Algorithms:
    n = len(entries)
    domain = np.array([index for index, _, _ in entries])
    kinds = [kind for _, _, kind in entries]
    baseline = np.array(kinds) == "baseline"
    # Baselines predate the range; some others arrive during it.
    late = (rng.random(n) < LATE_SHARE) & ~baseline
    start_slot = np.where(late, rng.integers(n_slots // 20, n_slots * 4 // 5, n), 0)
    trend = np.where(baseline, 0.0, _draw_trends(rng, n))
    level = np.array([DOMAINS[d].quality + TYPE_QUALITY[k] for d, k in zip(domain, kinds)])
    speed_mean, speed_spread = (np.array([TYPE_SPEEDUP[k][i] for k in kinds]) for i in (0, 1))
    return _Algorithms(
        ids=[slugify(name) for _, name, _ in entries],
        domain=domain, start_slot=start_slot,
        popularity=np.array([DOMAINS[d].activity for d in domain]) * rng.lognormal(0.0, 0.5, n),
        # Centre improvers and regressors on their domain's level over their life.
        quality=level + rng.normal(0.0, 4.0, n) - trend / 2,
        trend=trend, noise=rng.uniform(3.0, 8.0, n),
        speed_mu=rng.normal(speed_mean, speed_spread),
        speed_sd=np.where(baseline, 0.05, rng.uniform(0.1, 0.3, n)),
        tests_mean=rng.uniform(4.0, 30.0, n),
        hypothesis_ids=[f"hyp-{i:06d}" for i in range(1, n * HYPOTHESES_PER_ALGORITHM + 1)],
    )


def _draw_trends(rng: np.random.Generator, n: int) -> np.ndarray:
    """Quality change over each algorithm's life: some improve, fewer regress, most hold steady."""
    u = rng.random(n)
    return np.select([u < IMPROVING_SHARE, u < IMPROVING_SHARE + REGRESSING_SHARE],
                     [rng.uniform(10.0, 25.0, n), -rng.uniform(8.0, 20.0, n)], rng.normal(0.0, 1.5, n))


def _algorithms_frame(rng: np.random.Generator, entries: list[tuple[int, str, str]],
                      first_us: np.ndarray) -> pd.DataFrame:
    rows = [_algorithm_row(rng, index, name, kind) for index, name, kind in entries]
    frame = pd.DataFrame(rows, columns=["id", "name", "domain_id", "type", "description", "author_email",
                                        "internal_notes"])
    # Registered 1 to 45 days before its first validation, to the second.
    lead_us = rng.integers(DAY_US // SECOND_US, 45 * DAY_US // SECOND_US, len(entries)) * SECOND_US
    frame["created_at"] = _utc((first_us - lead_us) // SECOND_US * SECOND_US)
    return frame


def _algorithm_row(rng: np.random.Generator, domain_index: int, name: str, kind: str) -> tuple:
    domain = DOMAINS[domain_index]
    first, last = _pick(rng, FIRST_NAMES), _pick(rng, LAST_NAMES)
    words = {
        "name": name, "focus": domain.focus, "domain": domain.name.lower(),
        "baseline": _pick(rng, [b for b in domain.baseline if b != name]),
        "author": f"{first.capitalize()} {last.capitalize()}",
    }
    return (slugify(name), name, domain.id, kind, _pick(rng, DESCRIPTIONS[kind]).format(**words),
            f"{first}.{last}@{EMAIL_DOMAIN}", _pick(rng, NOTES).format(**words))


def _pick(rng: np.random.Generator, options):
    return options[rng.integers(len(options))]


def _slot_weights(sampler: _ActiveSampler, start_us: int, n_slots: int) -> np.ndarray:
    """Expected validation volume of each hour slot: weekday x hour x active algorithms."""
    slots = np.arange(n_slots)
    slot_us = start_us + slots * HOUR_US
    hour = slot_us // HOUR_US % 24
    weekday = (slot_us // DAY_US + 3) % 7  # 1970-01-01 was a Thursday
    return WEEKDAY_WEIGHTS[weekday] * HOUR_WEIGHTS[hour] * sampler.active_weight(slots)


# -- validations --------------------------------------------------------------
def _chunk_edges(slot_counts: np.ndarray) -> np.ndarray:
    """Slot boundaries of time-ordered chunks of about CHUNK_ROWS rows; a slot is never split."""
    row_ends = np.cumsum(slot_counts)
    cuts = np.searchsorted(row_ends, np.arange(CHUNK_ROWS, row_ends[-1], CHUNK_ROWS)) + 1
    return np.unique(np.concatenate(([0], cuts, [len(slot_counts)])))


def _append_validations(store: Store, conn: Connection, plan: _Plan, rng: np.random.Generator,
                        progress: bool) -> None:
    total = int(plan.slot_counts.sum())
    if not total:
        return
    edges = _chunk_edges(plan.slot_counts)
    next_id = store.reserve_ids(conn, total)  # one block from the sequence, numbered in time order
    with tqdm(total=total, unit="rows", unit_scale=True, desc="Seeding validations",
              disable=not progress) as bar:
        for first_slot, stop_slot in zip(edges[:-1], edges[1:]):
            frame = _validations_frame(rng, plan, first_slot, stop_slot, next_id)
            store.append_frame(conn, schema.validations, frame)
            next_id += len(frame)
            bar.update(len(frame))


def _validations_frame(rng: np.random.Generator, plan: _Plan, first_slot: int, stop_slot: int,
                       first_id: int) -> pd.DataFrame:
    slots = np.repeat(np.arange(first_slot, stop_slot), plan.slot_counts[first_slot:stop_slot])
    # Sorting moves rows only within their own slot's run, so ``slots`` still lines up.
    at_us = np.sort(plan.start_us + slots * HOUR_US + rng.integers(0, HOUR_US, len(slots)))
    alg = plan.sampler.draw(rng, slots)
    return pd.DataFrame({
        "id": np.arange(first_id, first_id + len(slots), dtype=np.int64),
        **_labels(rng, plan.algorithms, alg),
        **_measures(rng, plan, alg, at_us),
        "created_at": _utc(at_us),
    })


def _labels(rng: np.random.Generator, algorithms: _Algorithms, alg: np.ndarray) -> dict:
    # Categoricals cost one small code array per column, and DuckDB reads them directly.
    n = len(alg)
    hypothesis = alg * HYPOTHESES_PER_ALGORITHM + rng.integers(0, HYPOTHESES_PER_ALGORITHM, n)
    hypothesis = np.where(rng.random(n) < NO_HYPOTHESIS_SHARE, -1, hypothesis)  # -1 is NULL
    own = len(GENERAL_VALIDATORS) + algorithms.domain[alg]
    general = rng.integers(0, len(GENERAL_VALIDATORS), n)
    validator = np.where(rng.random(n) < OWN_VALIDATOR_SHARE, own, general)
    return {
        "algorithm_id": pd.Categorical.from_codes(alg, algorithms.ids),
        "domain_id": pd.Categorical.from_codes(algorithms.domain[alg], _DOMAIN_IDS),
        "hypothesis_id": pd.Categorical.from_codes(hypothesis, algorithms.hypothesis_ids),
        "validator": pd.Categorical.from_codes(validator, _VALIDATORS),
    }


def _measures(rng: np.random.Generator, plan: _Plan, alg: np.ndarray, at_us: np.ndarray) -> dict:
    a, n = plan.algorithms, len(alg)
    first_us = plan.start_us + a.start_slot[alg] * HOUR_US
    life = (at_us - first_us) / (plan.end_us - first_us)  # 0 at introduction, 1 now
    quality = a.quality[alg] + a.trend[alg] * life + a.noise[alg] * rng.standard_normal(n)
    tests = rng.poisson(a.tests_mean[alg])
    # More tests earn more confidence, saturating near 0.95.
    confidence = 0.3 + 0.65 * -np.expm1(-tests / 10) + rng.normal(0.0, 0.05, n)
    # Algorithms that get better also get faster (and regressions slower).
    log_speedup = a.speed_mu[alg] + a.trend[alg] / 100 * life + a.speed_sd[alg] * rng.standard_normal(n)
    return {
        "quality": np.clip(np.round(quality, 2), 0.0, 100.0),
        "confidence": np.clip(np.round(confidence, 3), 0.0, 1.0),
        "speedup": np.maximum(np.round(np.exp(log_speedup), 3), 0.001),  # rounding must not reach 0
        "tests": tests.astype(np.int32),
    }


def _utc(microseconds: np.ndarray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(microseconds.astype("datetime64[us]")).tz_localize("UTC")
