"""The report of a view, assembled from the same service calls its page makes.

A section name picks what goes in: ``leaderboard``, ``algorithms``,
``statistics`` (per domain), ``trends``, ``comparison`` and ``kpis``;
``metadata`` (filters, period, time, link) is always part of a report.
"""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urljoin

from ..figures.compare import compare_trends_chart
from ..figures.domains import domain_quality_chart
from ..figures.leaderboard import leaderboard_chart
from ..figures.trends import count_trend_chart, quality_trend_chart, speedup_trend_chart
from ..filters import Filters
from ..services.algorithms import describe_algorithms, sort_by_metric
from ..services.compare import compare_algorithms, compare_trends
from ..services.domains import compare_domains
from ..services.leaderboard import rank_algorithms, search_board, summarize_leaderboard
from ..services.overview import compare_months
from ..services.trends import track_performance
from ..ui.url import view_search
from .model import Chart, Column, Report, Table

SECTIONS = ("leaderboard", "algorithms", "statistics", "trends", "comparison", "kpis", "metadata")
PAGE_PATHS = {"leaderboard": "/leaderboard", "algorithms": "/leaderboard", "statistics": "/domains",
              "trends": "/trends", "comparison": "/compare", "kpis": "/"}

LEADERBOARD_COLUMNS = (
    Column("rank", "Rank", "int"), Column("rank_change", "Rank change", "int"), Column("tied", "Tied with above"),
    Column("name", "Algorithm"), Column("domain", "Domain"), Column("type", "Type"),
    Column("mean_quality", "Mean quality", "float1"), Column("ci_low", "95% CI low", "float1"),
    Column("ci_high", "95% CI high", "float1"), Column("mean_speedup", "Mean speedup", "speedup"),
    Column("tests", "Tests", "int"), Column("validations", "Validations", "int"),
    Column("success_rate", "Success rate", "percent"),
)
ALGORITHM_COLUMNS = (
    Column("algorithm_id", "Id"), Column("name", "Algorithm"), Column("domain", "Domain"), Column("type", "Type"),
    Column("mean_quality", "Mean quality", "float1"), Column("mean_confidence", "Mean confidence", "float2"),
    Column("mean_speedup", "Mean speedup", "speedup"), Column("max_speedup", "Best speedup", "speedup"),
    Column("tests", "Tests", "int"), Column("validations", "Validations", "int"),
    Column("success_rate", "Success rate", "percent"),
    Column("first_validation", "First validation", "datetime"),
    Column("last_validation", "Last validation", "datetime"),
)
STATISTICS_COLUMNS = (
    Column("domain", "Domain"), Column("algorithms", "Algorithms", "int"), Column("validations", "Validations", "int"),
    Column("mean_quality", "Mean quality", "float1"), Column("min_quality", "Lowest quality", "float1"),
    Column("mean_speedup", "Mean speedup", "speedup"), Column("max_speedup", "Best speedup", "speedup"),
    Column("success_rate", "Success rate", "percent"),
)
TREND_COLUMNS = (
    Column("period_start", "Period start", "date"), Column("series", "Series"),
    Column("validations", "Validations", "int"), Column("mean_quality", "Mean quality", "float1"),
    Column("mean_speedup", "Mean speedup", "speedup"), Column("success_rate", "Success rate", "percent"),
)
COMPARISON_COLUMNS = (
    Column("name", "Algorithm"), Column("domain", "Domain"), Column("type", "Type"),
    Column("mean_quality", "Mean quality", "float1"), Column("ci_low", "95% CI low", "float1"),
    Column("ci_high", "95% CI high", "float1"), Column("mean_speedup", "Mean speedup", "speedup"),
    Column("success_rate", "Success rate", "percent"), Column("tests", "Tests", "int"),
    Column("validations", "Validations", "int"),
)


def build_report(title: str, filters: Filters, sections: tuple[str, ...], base_url: str,
                 include_charts: bool = True, sort_by: str | None = None, descending: bool = True,
                 search: str | None = None) -> Report:
    """The report of ``filters`` with the chosen sections, in the order of SECTIONS.

    ``search`` narrows the leaderboard as the page's quick search does.
    """
    parts = [SECTION_BUILDERS[name](filters, sort_by, descending, search) for name in SECTIONS
             if name in sections and name in SECTION_BUILDERS]
    link = urljoin(base_url, PAGE_PATHS.get(next(iter(sections), ""), "/")) + view_search(filters)
    generated = datetime.now(filters.zone)
    return Report(
        title=title, filters=filters, generated_at=generated, link=link,
        tables=tuple(t for p in parts for t in p.get("tables", ())),
        charts=tuple(c for p in parts for c in p.get("charts", ())) if include_charts else (),
        kpis=tuple(k for p in parts for k in p.get("kpis", ())),
        notes=tuple(n for p in parts for n in p.get("notes", ())),
        metadata=describe_view(filters, generated, link),
    )


def describe_view(filters: Filters, generated: datetime, link: str) -> dict[str, str]:
    """The report's metadata: what it covers, when it was made, how to reopen it."""
    period = (f"{filters.start or 'the first validation'} to {filters.end or 'the last validation'}"
              if filters.start or filters.end else "all validations")
    return {
        "Domains": ", ".join(filters.domains) or "all",
        "Algorithm types": ", ".join(filters.types) or "all",
        "Algorithms": ", ".join(filters.algorithms) or "all",
        "Period": f"{period} ({filters.tz})",
        "Generated": generated.isoformat(timespec="seconds"),
        "Link": link,
    }


def _leaderboard(filters: Filters, sort_by: str | None, descending: bool, search: str | None) -> dict:
    # As on the page: the search narrows the table; the chart and summary show the whole board.
    board = rank_algorithms(filters)
    table = search_board(board, search)
    if sort_by:
        table = sort_by_metric(table, sort_by, descending)
    summary = summarize_leaderboard(board)
    return {"tables": [Table("leaderboard", "Leaderboard", LEADERBOARD_COLUMNS, table)],
            "charts": [Chart("Mean quality with 95% interval", leaderboard_chart(board.sort_values("rank")), summary)],
            "notes": [summary] + ([f"Table rows matching the search {search!r}."] if search else [])}


def _algorithms(filters: Filters, sort_by: str | None, descending: bool, _search) -> dict:
    frame = describe_algorithms(filters, sort_by or "quality", descending)
    return {"tables": [Table("algorithms", "Algorithms", ALGORITHM_COLUMNS, frame)]}


def _statistics(filters: Filters, _sort_by, _descending, _search) -> dict:
    stats = compare_domains(filters)
    return {"tables": [Table("statistics", "Domain statistics", STATISTICS_COLUMNS, stats)],
            "charts": [Chart("Mean quality per domain", domain_quality_chart(stats), describe_domains(stats))]}


def describe_domains(stats) -> str:
    """One sentence on the domain statistics: the best domain, or the only one."""
    if stats.empty:
        return "No validations match these filters."
    top = stats.iloc[0]
    if len(stats) == 1:
        return f"{top['domain']}: mean quality {top['mean_quality']:.1f} over {top['validations']:,} validations."
    return f"{top['domain']} has the highest mean quality ({top['mean_quality']:.1f}) of {len(stats)} domains."


def _trends(filters: Filters, _sort_by, _descending, _search) -> dict:
    trends = track_performance(filters)
    args = (trends, filters.granularity, filters.tz)
    counts = int(trends["validations"].sum()) if not trends.empty else 0
    summary = f"{counts:,} validations per {filters.granularity} in {filters.tz}."
    return {"tables": [Table("trends", "Trends", TREND_COLUMNS, trends)],
            "charts": [Chart(f"Mean quality per {filters.granularity}", quality_trend_chart(*args), summary),
                       Chart(f"Mean speedup per {filters.granularity}", speedup_trend_chart(*args)),
                       Chart(f"Validations per {filters.granularity}", count_trend_chart(*args))]}


def _comparison(filters: Filters, _sort_by, _descending, _search) -> dict:
    metrics = compare_algorithms(filters).metrics
    chart = compare_trends_chart(compare_trends(filters), filters.granularity, filters.tz)
    return {"tables": [Table("comparison", "Comparison", COMPARISON_COLUMNS, metrics)],
            "charts": [Chart(f"Mean quality per {filters.granularity}", chart)]}


def _kpis(filters: Filters, _sort_by, _descending, _search) -> dict:
    months = compare_months(filters)
    now = months.loc["current"]
    return {"notes": [f"Key figures: this month so far ({now['period']})."], "kpis": [
        ("Validations", f"{now['total_validations']:,}"),
        ("Mean quality", "no data" if now["total_validations"] == 0 else f"{now['mean_quality']:.1f}"),
        ("Success rate", "no data" if now["total_validations"] == 0 else f"{now['success_rate']:.1%}"),
        ("Best speedup", "no data" if now["total_validations"] == 0 else f"{now['best_speedup']:.2f}x"),
    ]}



SECTION_BUILDERS = {"leaderboard": _leaderboard, "algorithms": _algorithms, "statistics": _statistics,
                    "trends": _trends, "comparison": _comparison, "kpis": _kpis}
