"""The columns of every report table: measures from the metric registry, names and times around them."""
from __future__ import annotations

from ..domain import metrics as m
import pandas as pd

from ..exports.model import Column

of = Column.of

NAME, DOMAIN, TYPE = Column("name", "Algorithm"), Column("domain", "Domain"), Column("type", "Type")
# Shown only where a service left them in (services.redaction): editors and admins, never viewers.
AUTHOR = Column("author_email", "Author", wrap=True)
INTERNAL_NOTES = Column("internal_notes", "Internal notes", wrap=True)
SENSITIVE_COLUMNS = (AUTHOR, INTERNAL_NOTES)
INTERVAL = (of(m.CI_LOW), of(m.CI_HIGH))
RANK_RANGE = (of(m.RANK_BEST), of(m.RANK_WORST))
RANK_IN_DOMAIN = of(m.RANK, header="Rank in domain")  # the algorithm page ranks it among its domain's

LEADERBOARD_COLUMNS = (
    of(m.RANK), *RANK_RANGE, of(m.TIER), of(m.RANK_CHANGE), NAME, DOMAIN, TYPE,
    of(m.MEAN_QUALITY), *INTERVAL, of(m.MEAN_SPEEDUP), of(m.TESTS), of(m.VALIDATIONS), of(m.SUCCESS_RATE),
)
ALGORITHM_COLUMNS = (
    Column("algorithm_id", "Id"), NAME, DOMAIN, TYPE,
    of(m.MEAN_QUALITY), of(m.MEAN_CONFIDENCE), of(m.MEAN_SPEEDUP), of(m.MAX_SPEEDUP),
    of(m.TESTS), of(m.VALIDATIONS), of(m.SUCCESS_RATE),
    Column("first_validation", "First validation", "datetime"),
    Column("last_validation", "Last validation", "datetime"),
)
STATISTICS_COLUMNS = (
    DOMAIN, Column("algorithms", "Algorithms", "int"), of(m.VALIDATIONS),
    of(m.MEAN_QUALITY), of(m.MIN_QUALITY), of(m.MEAN_SPEEDUP), of(m.MAX_SPEEDUP), of(m.SUCCESS_RATE),
)
TREND_COLUMNS = (
    Column("period_start", "Period start", "date"), Column("series", "Series"),
    of(m.VALIDATIONS), of(m.MEAN_QUALITY), of(m.MEAN_SPEEDUP), of(m.SUCCESS_RATE),
)
ROLLING_COLUMNS = (of(m.ROLLING_QUALITY), of(m.ROLLING_SPEEDUP))
COMPARISON_COLUMNS = (
    NAME, DOMAIN, TYPE, of(m.MEAN_QUALITY), *INTERVAL, of(m.MEAN_SPEEDUP), of(m.SUCCESS_RATE),
    of(m.TESTS), of(m.VALIDATIONS),
)
DIFFERENCE_COLUMNS = (
    Column("name_a", "A"), Column("name_b", "B"),
    Column("mean_quality_diff", "Quality difference (A − B)", "float1"),
    of(m.CI_LOW, key="quality_diff_ci_low"), of(m.CI_HIGH, key="quality_diff_ci_high"),
    Column("significant", "Significant?"),
    Column("mean_speedup_diff", "Speedup difference", "float2"),
    Column("success_rate_diff_pts", "Success-rate difference (pts)", "float1"),
    Column("algorithm_a", "A id"), Column("algorithm_b", "B id"),
)

KPI_COLUMNS = (
    Column("key_figure", "Key figure"), Column("unit", "Unit"),
    Column("period", "Period"), Column("value", "Value", "number"),
    Column("previous_period", "Compared with"), Column("previous_value", "Previous value", "number"),
    Column("change", "Change", "number"),
)
RECENT_COLUMNS = (Column("period_start", "Day", "date"), of(m.VALIDATIONS), of(m.MEAN_QUALITY))
TOP_COLUMNS = (of(m.RANK), NAME, DOMAIN, of(m.MEAN_QUALITY), *INTERVAL, of(m.MEAN_SPEEDUP))

ALGORITHM_COLUMNS_SHOWN = (
    NAME, DOMAIN, TYPE, RANK_IN_DOMAIN, *RANK_RANGE, of(m.PEERS),
    of(m.MEAN_QUALITY), *INTERVAL, of(m.MEAN_SPEEDUP), of(m.SUCCESS_RATE), of(m.TESTS), of(m.VALIDATIONS),
)
RANK_HISTORY_COLUMNS = (
    Column("period_start", "Period start", "date"), of(m.VALIDATIONS),
    of(m.MEAN_QUALITY), *INTERVAL, of(m.MEAN_SPEEDUP), of(m.SUCCESS_RATE),
    RANK_IN_DOMAIN, *RANK_RANGE, of(m.PEERS), of(m.DOMAIN_MEAN_QUALITY),
)
LATEST_COLUMNS = (
    Column("created_at", "When", "datetime"), Column("id", "Validation id", "int"),
    of(m.QUALITY), of(m.CONFIDENCE), of(m.SPEEDUP), of(m.TESTS),
    Column("validator", "Validator"), Column("hypothesis_id", "Hypothesis"),
)


def with_sensitive(columns: tuple[Column, ...], frame: pd.DataFrame | dict) -> tuple[Column, ...]:
    """``columns`` and, after them, the sensitive columns the service left in ``frame`` (its principal sees them)."""
    return columns + tuple(c for c in SENSITIVE_COLUMNS if c.key in frame)
