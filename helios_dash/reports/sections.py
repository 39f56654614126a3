"""Each section of a report, built from the same service calls its page makes.

A section name picks what goes in (see ``vocabulary.SECTIONS``): ``kpis`` (key figures
against the comparison period), ``recent`` (the Overview's 90 days), ``top`` (the
Overview's top five), ``leaderboard``, ``algorithms``, ``statistics`` (per domain),
``trends``, ``comparison`` and ``differences`` (Compare), ``algorithm`` (one algorithm's
page: ``filters.algorithms`` names it). A builder takes the view and the principal it is made
for (``algorithms`` and ``algorithm`` show author and notes to editors and admins) and returns
its tables, charts, key-figure cards and notes; ``assemble.build_report`` puts them together.
"""
from __future__ import annotations

from functools import partial

import pandas as pd

from ..domain.principal import Principal
from ..domain.metrics import KEY_FIGURES, MEAN_QUALITY, MEAN_SPEEDUP, VALIDATIONS
from ..domain.types import type_label
from ..errors import BadRequest
from ..exports.model import Chart, Table, ViewOptions
from ..figures.algorithm import algorithm_trend_chart, rank_history_chart
from ..figures.common import INTERVAL_TITLE
from ..figures.compare import QUALITY_TITLE, compare_quality_chart, compare_trends_chart
from ..figures.domains import QUALITY_TITLE as DOMAINS_TITLE, domain_quality_chart
from ..figures.leaderboard import leaderboard_chart
from ..figures.overview import TREND_TITLE, quality_sparkline_chart
from ..figures.trends import count_trend_chart, quality_trend_chart, speedup_trend_chart
from ..filters import Filters
from ..services.algorithm import profile_algorithm
from ..services.algorithms import describe_algorithms, sort_by_metric
from ..services.compare import compare_algorithms, compare_trends
from ..services.domains import compare_domains
from ..services.leaderboard import rank_algorithms, search_board, summarize_leaderboard
from ..services.overview import compare_months, describe_comparison, recent_quality_trend, top_algorithms
from ..services.trends import track_performance
from .columns import (ALGORITHM_COLUMNS, ALGORITHM_COLUMNS_SHOWN, COMPARISON_COLUMNS, DIFFERENCE_COLUMNS,
                      KPI_COLUMNS, LATEST_COLUMNS, LEADERBOARD_COLUMNS, RANK_HISTORY_COLUMNS,
                      RECENT_COLUMNS, ROLLING_COLUMNS, STATISTICS_COLUMNS, TOP_COLUMNS,
                      TREND_COLUMNS, with_sensitive)
from .sentences import (SIGNIFICANCE_NOTE, describe_details, describe_domains, describe_intervals,
                        describe_recent, describe_significance, describe_standing, describe_trends)


def _kpis(filters: Filters, _options: ViewOptions, _principal: Principal) -> dict:
    # The report's own filters and period (services.overview.compare_months), as the Overview shows them.
    months = compare_months(filters)
    now, before = months.loc["current"], months.loc["previous"]
    rows = []
    for field, metric in KEY_FIGURES:
        value, previous, scale = now.get(field), before.get(field), metric.number.change_scale
        # A share is shown in percent, and its change in points.
        unit = f"{metric.unit} (change in points)" if scale != 1 else metric.unit
        rows.append({"key_figure": metric.label, "unit": unit, "period": now["period"],
                     "value": _scaled(value, scale), "previous_period": before["period"],
                     "previous_value": _scaled(previous, scale),
                     "change": _scaled(value - previous, scale) if pd.notna(value) and pd.notna(previous) else None})
    frame = pd.DataFrame(rows).astype({"value": float, "previous_value": float, "change": float})
    cards = [(metric.label, "no data" if pd.isna(now.get(field)) else metric.show(now[field]))
             for field, metric in KEY_FIGURES]
    return {"tables": [Table("key_figures", "Key figures", KPI_COLUMNS, frame)], "kpis": cards,
            "notes": [f"Key figures: {describe_comparison(months)}.", describe_significance(months)]}


def _scaled(value, scale: int) -> float | None:
    return None if value is None or pd.isna(value) else float(value) * scale


def _recent(filters: Filters, _options: ViewOptions, _principal: Principal) -> dict:
    trend = recent_quality_trend(filters)
    return {"tables": [Table("recent", "Daily figures, last 90 days", RECENT_COLUMNS, trend)],
            "charts": [Chart(TREND_TITLE, partial(quality_sparkline_chart, trend, filters.tz), describe_recent(trend))]}


def _top(filters: Filters, _options: ViewOptions, _principal: Principal) -> dict:
    return {"tables": [Table("top", "Top of the leaderboard", TOP_COLUMNS, top_algorithms(filters))]}


def _leaderboard(filters: Filters, options: ViewOptions, _principal: Principal) -> dict:
    # As on the page: the search narrows the table; the chart and summary show the whole board.
    board = rank_algorithms(filters)
    table = search_board(board, options.search)
    if options.sort_by:
        table = sort_by_metric(table, options.sort_by, options.descending)
    summary = summarize_leaderboard(board)
    search = options.search
    return {"tables": [Table("leaderboard", "Leaderboard", LEADERBOARD_COLUMNS, shown_types(table))],
            "charts": [Chart(INTERVAL_TITLE, partial(leaderboard_chart, board.sort_values("rank")), summary)],
            "notes": [summary] + ([f"Table rows matching the search {search!r}."] if search else [])}


def shown_types(frame: pd.DataFrame) -> pd.DataFrame:
    """The table with its algorithm types as people read them ("Hybrid", see ``domain.types.type_label``)."""
    return frame.assign(type=frame["type"].map(type_label)) if "type" in frame else frame


def _algorithms(filters: Filters, options: ViewOptions, principal: Principal) -> dict:
    frame = describe_algorithms(filters, options.sort_by or "quality", options.descending, principal)
    columns = with_sensitive(ALGORITHM_COLUMNS, frame)
    return {"tables": [Table("algorithms", "Algorithms", columns, shown_types(frame))]}


def _statistics(filters: Filters, _options: ViewOptions, _principal: Principal) -> dict:
    stats = compare_domains(filters)
    return {"tables": [Table("statistics", "Domain statistics", STATISTICS_COLUMNS, stats)],
            "charts": [Chart(DOMAINS_TITLE, partial(domain_quality_chart, stats), describe_domains(stats))]}


def _trends(filters: Filters, options: ViewOptions, _principal: Principal) -> dict:
    # The page's own call: split and rolling mean included, so the series are the screen's.
    trends = track_performance(filters, options.rolling, options.split)
    period = {"granularity": filters.granularity, "tz": filters.tz}
    columns = TREND_COLUMNS + (ROLLING_COLUMNS if options.rolling else ())
    per = filters.granularity
    quality = partial(quality_trend_chart, trends, rolling=options.rolling, **period)
    speedup = partial(speedup_trend_chart, trends, rolling=options.rolling, **period)
    return {"tables": [Table("trends", "Trends", columns, trends)],
            "charts": [Chart(f"{MEAN_QUALITY.label} per {per}", quality, describe_trends(trends, filters, options)),
                       Chart(f"{MEAN_SPEEDUP.label} per {per}", speedup),
                       Chart(f"{VALIDATIONS.label} per {per}", partial(count_trend_chart, trends, **period))]}


def _comparison(filters: Filters, _options: ViewOptions, _principal: Principal) -> dict:
    metrics = compare_algorithms(filters).metrics
    # Drawn (and its series read) only for a format that shows charts.
    chart = lambda: compare_trends_chart(compare_trends(filters), filters.granularity, filters.tz)  # noqa: E731
    return {"tables": [Table("comparison", "Side by side", COMPARISON_COLUMNS, shown_types(metrics))],
            "charts": [Chart(QUALITY_TITLE, partial(compare_quality_chart, metrics), describe_intervals(metrics)),
                       Chart(f"{MEAN_QUALITY.label} per {filters.granularity}", chart)]}


def _differences(filters: Filters, _options: ViewOptions, _principal: Principal) -> dict:
    comparison = compare_algorithms(filters)
    return {"tables": [Table("differences", "Differences", DIFFERENCE_COLUMNS,
                             name_differences(comparison.differences, comparison.metrics))],
            "notes": [SIGNIFICANCE_NOTE]}


def name_differences(differences: pd.DataFrame, metrics: pd.DataFrame) -> pd.DataFrame:
    """Every pair's differences with both algorithms named, "yes"/"no"/"not enough data" and points."""
    names = dict(zip(metrics["algorithm_id"], metrics["name"]))
    significant = differences["quality_significant"].map({True: "yes", False: "no"}).astype(object)
    significant = significant.where(differences["quality_diff_ci_low"].notna(), "not enough data")
    return differences.assign(name_a=differences["algorithm_a"].map(names),
                              name_b=differences["algorithm_b"].map(names), significant=significant,
                              success_rate_diff_pts=differences["success_rate_diff"] * 100)


def one_algorithm(filters: Filters) -> str:
    """The id of the algorithm an ``algorithm`` report is about; ``BadRequest`` unless there is exactly one."""
    if len(filters.algorithms) != 1:
        raise BadRequest("An algorithm report needs exactly one algorithm id in filters.algorithms.",
                         [{"field": "filters.algorithms", "message": f"{len(filters.algorithms)} given"}])
    return filters.algorithms[0]


def _algorithm(filters: Filters, _options: ViewOptions, principal: Principal) -> dict:
    # As its page shows it: its standing in its domain, its trend and rank per period, its latest validations.
    algorithm_id = one_algorithm(filters)
    profile = profile_algorithm(algorithm_id, filters, principal)
    if profile is None:
        raise BadRequest(f"No algorithm {algorithm_id!r}.", [{"field": "filters.algorithms", "message": algorithm_id}])
    about, zone = profile.about, {"granularity": filters.granularity, "tz": filters.tz}
    # Who it is (author and notes if the principal sees them), then its standing if it has one in the period.
    columns = with_sensitive(ALGORITHM_COLUMNS_SHOWN, about)
    described = {c.key: about[c.key] for c in columns if c.key in about}
    standing = pd.DataFrame([{**described, **(profile.standing or {}), "peers": profile.peers}],
                            columns=[c.key for c in columns])
    summary = describe_standing(profile)
    return {"tables": [Table("algorithm", about["name"], columns, standing),
                       Table("rank_history", f"Per {filters.granularity}", RANK_HISTORY_COLUMNS, profile.history),
                       Table("latest", "Latest validations", LATEST_COLUMNS, profile.latest)],
            "charts": [Chart(f"{MEAN_QUALITY.label} per {filters.granularity}",
                             partial(algorithm_trend_chart, profile.history, about["name"], about["domain"], **zone),
                             summary),
                       Chart(f"Rank in {about['domain']} per {filters.granularity}",
                             partial(rank_history_chart, profile.history, about["domain"], **zone))],
            "notes": [summary] + [note for note in (describe_details(about),) if note]}


SECTION_BUILDERS = {"kpis": _kpis, "recent": _recent, "top": _top, "leaderboard": _leaderboard,
                    "algorithms": _algorithms, "statistics": _statistics, "trends": _trends,
                    "comparison": _comparison, "differences": _differences, "algorithm": _algorithm}
