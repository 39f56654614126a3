"""Side-by-side comparison of 2 to 8 chosen algorithms."""
from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
import sqlalchemy as sa

from ..errors import BadRequest, NotFound
from ..filters import Filters
from ..schema import algorithms, domains
from ..store import Store
from .algorithms import select_algorithm_metrics

MIN_ALGORITHMS, MAX_ALGORITHMS = 2, 8
COMPARED_METRICS = ["mean_quality", "mean_speedup", "mean_confidence", "success_rate", "tests", "validations"]


def select_algorithm_comparison(store: Store, filters: Filters) -> pd.DataFrame:
    """Metrics of ``filters.algorithms``, one row each, in the order they were chosen.

    An algorithm without validations in the view keeps its row with a count of 0.
    """
    chosen = list(dict.fromkeys(filters.algorithms))
    if not MIN_ALGORITHMS <= len(chosen) <= MAX_ALGORITHMS:
        raise BadRequest(
            f"Choose {MIN_ALGORITHMS} to {MAX_ALGORITHMS} different algorithms to compare "
            f"({len(chosen)} chosen).",
            [{"field": "algorithms", "message": f"{len(chosen)} given"}],
        )
    _require_known(store, chosen)
    metrics = select_algorithm_metrics(store, filters).set_index("algorithm_id")
    frame = metrics.reindex(chosen).rename_axis("algorithm_id").reset_index()
    missing = frame["name"].isna()
    if missing.any():
        frame.loc[missing, ["name", "type", "domain_id", "domain"]] = _describe(store, frame.loc[missing, "algorithm_id"])
        frame.loc[missing, ["validations", "tests", "successes"]] = 0
    return frame.astype({"validations": "int64", "tests": "int64"})


def pairwise_differences(comparison: pd.DataFrame) -> pd.DataFrame:
    """For each pair (a, b) in order: a minus b for every compared metric.

    ``quality_significant`` says whether a Welch 95% interval of the quality
    difference excludes zero (normal approximation).
    """
    rows = []
    z = 1.959963984540054  # two-sided 95% normal quantile
    for (_, a), (_, b) in combinations(comparison.iterrows(), 2):
        row = {"algorithm_a": a["algorithm_id"], "algorithm_b": b["algorithm_id"]}
        row.update({f"{m}_diff": a[m] - b[m] for m in COMPARED_METRICS})
        se = np.sqrt(_variance_of_mean(a) + _variance_of_mean(b))
        row["quality_diff_ci_low"] = row["mean_quality_diff"] - z * se
        row["quality_diff_ci_high"] = row["mean_quality_diff"] + z * se
        row["quality_significant"] = bool(
            row["quality_diff_ci_low"] > 0 or row["quality_diff_ci_high"] < 0
        )
        rows.append(row)
    return pd.DataFrame(rows)


def _variance_of_mean(row: pd.Series) -> float:
    n = row["validations"]
    return row["std_quality"] ** 2 / n if n >= 2 else float("nan")


def _require_known(store: Store, chosen: list[str]) -> None:
    known = set(store.read(sa.select(algorithms.c.id).where(algorithms.c.id.in_(chosen)))["id"])
    unknown = [a for a in chosen if a not in known]
    if unknown:
        raise NotFound(
            f"Unknown algorithm id(s): {', '.join(unknown)}.",
            [{"field": "algorithms", "message": f"{a} does not exist"} for a in unknown],
        )


def _describe(store: Store, ids: pd.Series) -> pd.DataFrame:
    stmt = (
        sa.select(algorithms.c.id, algorithms.c.name, algorithms.c.type, algorithms.c.domain_id,
                  domains.c.name.label("domain"))
        .join(domains, domains.c.id == algorithms.c.domain_id)
        .where(algorithms.c.id.in_(list(ids)))
    )
    found = store.read(stmt).set_index("id").reindex(list(ids))
    return found[["name", "type", "domain_id", "domain"]].to_numpy()
