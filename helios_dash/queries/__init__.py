"""The query layer: SQLAlchemy Core statements in, pandas DataFrames out.

Each function takes the store and one ``Filters``; parameters are always bound.
"""
from .algorithms import select_algorithm_metrics
from .comparison import pairwise_differences, select_algorithm_comparison
from .domains import select_domain_stats
from .leaderboard import select_leaderboard
from .reports import get_monthly_report, select_period_report
from .trends import select_performance_trends
from .validations import RECORD_COLUMNS, select_validation_records

__all__ = [
    "RECORD_COLUMNS",
    "get_monthly_report",
    "pairwise_differences",
    "select_algorithm_comparison",
    "select_algorithm_metrics",
    "select_domain_stats",
    "select_leaderboard",
    "select_performance_trends",
    "select_period_report",
    "select_validation_records",
]
