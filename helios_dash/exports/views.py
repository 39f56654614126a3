"""The report of a view, assembled from the same service calls its page makes.

A section name picks what goes in, in the order of SECTIONS: ``kpis`` (key figures
against the comparison period), ``recent`` (the Overview's 90 days), ``top`` (the
Overview's top five), ``leaderboard``, ``algorithms``, ``statistics`` (per domain),
``trends``, ``comparison`` and ``differences`` (Compare), ``algorithm`` (one algorithm's page:
``filters.algorithms`` names it); ``metadata`` (filters,
period, time, link) is always part of a report. A page's export holds the sections
its screen shows, so that screen, export and API agree section by section.
"""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urljoin

import pandas as pd

from ..errors import BadRequest
from ..figures.algorithm import algorithm_trend_chart, rank_history_chart
from ..figures.compare import QUALITY_TITLE, compare_quality_chart, compare_trends_chart
from ..figures.domains import domain_quality_chart
from ..figures.leaderboard import leaderboard_chart
from ..figures.overview import TREND_TITLE, quality_sparkline_chart
from ..figures.trends import count_trend_chart, quality_trend_chart, speedup_trend_chart
from ..filters import Filters, type_label
from ..services.algorithm import profile_algorithm
from ..services.algorithms import describe_algorithms, sort_by_metric
from ..services.catalog import name_algorithms
from ..services.compare import compare_algorithms, compare_trends
from ..services.domains import compare_domains
from ..services.leaderboard import rank_algorithms, search_board, summarize_leaderboard
from ..services.overview import (compare_months, describe_comparison, recent_quality_trend, significant_changes,
                                 top_algorithms)
from ..services.trends import track_performance
from ..ui.links import algorithm_href
from ..ui.url import view_search
from .model import Chart, Column, Report, Table, ViewOptions

SECTIONS = ("kpis", "top", "recent", "leaderboard", "algorithms", "statistics", "trends", "comparison",
            "differences", "algorithm", "metadata")
PAGE_REPORTS = {  # page: (the sections its screen shows, report title); a CSV holds the first section
    "overview": (("kpis", "recent", "top", "metadata"), "HELIOS overview"),
    "domains": (("statistics", "metadata"), "HELIOS domain statistics"),
    "trends": (("trends", "metadata"), "HELIOS performance trends"),
    # The differences are the page's answer: the CSV (one table) holds them, every other format both.
    "compare": (("differences", "comparison", "metadata"), "HELIOS algorithm comparison"),
    "leaderboard": (("leaderboard", "metadata"), "HELIOS leaderboard"),
    "algorithm": (("algorithm", "metadata"), "HELIOS algorithm"),
}
PAGE_PATHS = {"kpis": "/", "recent": "/", "top": "/", "leaderboard": "/leaderboard", "algorithms": "/leaderboard",
              "statistics": "/domains", "trends": "/trends", "comparison": "/compare", "differences": "/compare"}

LEADERBOARD_COLUMNS = (
    Column("rank", "Rank", "int"), Column("rank_best", "Best possible rank", "int"),
    Column("rank_worst", "Worst possible rank", "int"), Column("tier", "Tier", "int"),
    Column("rank_change", "Rank change", "int"),
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


KPI_COLUMNS = (
    Column("key_figure", "Key figure"), Column("unit", "Unit"),
    Column("period", "Period"), Column("value", "Value", "number"),
    Column("previous_period", "Compared with"), Column("previous_value", "Previous value", "number"),
    Column("change", "Change", "number"),
)
KPI_ROWS = (  # field, label, unit, scale of the value (a rate is shown in percent, its change in points)
    ("total_validations", "Validations", "validations", 1),
    ("mean_quality", "Mean quality", "score 0-100", 1),
    ("success_rate", "Success rate (quality > 70)", "% (change in points)", 100),
    ("best_speedup", "Best speedup", "x baseline", 1),
)
KPI_CARDS = {"total_validations": "{:,.0f}", "mean_quality": "{:.1f}", "success_rate": "{:.1%}",
             "best_speedup": "{:.2f}x"}
RECENT_COLUMNS = (
    Column("period_start", "Day", "date"), Column("validations", "Validations", "int"),
    Column("mean_quality", "Mean quality", "float1"),
)
TOP_COLUMNS = (
    Column("rank", "Rank", "int"), Column("name", "Algorithm"), Column("domain", "Domain"),
    Column("mean_quality", "Mean quality", "float1"), Column("ci_low", "95% CI low", "float1"),
    Column("ci_high", "95% CI high", "float1"), Column("mean_speedup", "Mean speedup", "speedup"),
)
ROLLING_COLUMNS = (Column("rolling_quality", "Rolling mean quality", "float1"),
                   Column("rolling_speedup", "Rolling mean speedup", "speedup"))
DIFFERENCE_COLUMNS = (
    Column("name_a", "A"), Column("name_b", "B"),
    Column("mean_quality_diff", "Quality difference (A − B)", "float1"),
    Column("quality_diff_ci_low", "95% CI low", "float1"), Column("quality_diff_ci_high", "95% CI high", "float1"),
    Column("significant", "Significant?"),
    Column("mean_speedup_diff", "Speedup difference", "float2"),
    Column("success_rate_diff_pts", "Success-rate difference (pts)", "float1"),
    Column("algorithm_a", "A id"), Column("algorithm_b", "B id"),
)
SIGNIFICANCE_NOTE = ("Significant: the 95% interval of the quality difference excludes zero (Welch, normal "
                     "approximation).")


def build_report(title: str, filters: Filters, sections: tuple[str, ...], base_url: str,
                 include_charts: bool = True, options: ViewOptions | None = None) -> Report:
    """The report of ``filters`` and the page's ``options`` with the chosen sections, in the order of SECTIONS."""
    options = options or ViewOptions()
    chosen = [name for name in SECTIONS if name in sections and name in SECTION_BUILDERS]
    parts = [SECTION_BUILDERS[name](filters, options) for name in chosen]
    if "algorithm" in chosen:  # its own page, the id in the path
        link = urljoin(base_url, algorithm_href(one_algorithm(filters), filters))
    else:
        page = PAGE_PATHS.get(next((s for s in sections if s in PAGE_PATHS), ""), "/")
        link = urljoin(base_url, page) + view_search(filters, view_extras(options))
    generated = datetime.now(filters.zone)
    return Report(
        title=title, filters=filters, generated_at=generated, link=link,
        tables=tuple(t for p in parts for t in p.get("tables", ())),
        charts=tuple(Chart(c.title, c.figure, c.summary, name) for name, p in zip(chosen, parts)
                     for c in p.get("charts", ())) if include_charts else (),
        kpis=tuple(k for p in parts for k in p.get("kpis", ())),
        notes=tuple(n for p in parts for n in p.get("notes", ())),
        metadata=describe_view(filters, generated, link, options, name_algorithms(filters.algorithms)),
    )


def view_extras(options: ViewOptions) -> dict[str, object]:
    """The page parameters beyond the filters, as the page's URL names them (``split``, ``rolling``, ``q``)."""
    return {"split": options.split, "rolling": options.rolling, "q": options.search}


def describe_view(filters: Filters, generated: datetime, link: str, options: ViewOptions | None = None,
                  algorithm_names: list[str] | None = None) -> dict[str, str]:
    """The report's metadata: what it covers, when it was made, how to reopen it; algorithms by name if known."""
    period = (f"{filters.start or 'the first validation'} to {filters.end or 'the last validation'}"
              if filters.start or filters.end else "all validations")
    options = options or ViewOptions()
    described = {
        "Domains": ", ".join(filters.domains) or "all",
        "Algorithm types": ", ".join(filters.types) or "all",
        "Algorithms": ", ".join(algorithm_names or filters.algorithms) or "all",
        "Period": f"{period} ({filters.tz})",
    }
    if options.split:
        described["Split by"] = "algorithm type" if options.split == "type" else options.split
    if options.rolling:
        described["Rolling mean"] = f"{options.rolling} {filters.granularity}s"
    if options.search:
        described["Search"] = options.search
    return described | {"Generated": generated.isoformat(timespec="seconds"), "Link": link}


def _kpis(filters: Filters, _options: ViewOptions) -> dict:
    # The report's own filters and period (services.overview.compare_months), as the Overview shows them.
    months = compare_months(filters)
    now, before = months.loc["current"], months.loc["previous"]
    rows = []
    for field, label, unit, scale in KPI_ROWS:
        value, previous = now.get(field), before.get(field)
        rows.append({"key_figure": label, "unit": unit, "period": now["period"], "value": _scaled(value, scale),
                     "previous_period": before["period"], "previous_value": _scaled(previous, scale),
                     "change": _scaled(value - previous, scale) if pd.notna(value) and pd.notna(previous) else None})
    frame = pd.DataFrame(rows).astype({"value": float, "previous_value": float, "change": float})
    cards = [(label, "no data" if pd.isna(now.get(field)) else KPI_CARDS[field].format(now[field]))
             for field, label, _unit, _scale in KPI_ROWS]
    return {"tables": [Table("key_figures", "Key figures", KPI_COLUMNS, frame)], "kpis": cards,
            "notes": [f"Key figures: {describe_comparison(months)}.", describe_significance(months)]}


def describe_significance(months: pd.DataFrame) -> str:
    """Which changes are significant at 95%, by the rules the Overview colours them with."""
    verdicts = significant_changes(months)
    said = {True: "significant", False: "not significant", None: "not tested (too little data)"}
    parts = [f"{label.lower()} {said[verdicts[field]]}" for field, label, _unit, _scale in KPI_ROWS
             if field != "best_speedup"]
    return ("Changes at the 95% level (Welch t-test for mean quality, two-proportion test for the success rate, "
            "exact test of validations per elapsed hour): " + "; ".join(parts) + ".")


def _scaled(value, scale: int) -> float | None:
    return None if value is None or pd.isna(value) else float(value) * scale


def _recent(filters: Filters, _options: ViewOptions) -> dict:
    trend = recent_quality_trend(filters)
    return {"tables": [Table("recent", "Daily figures, last 90 days", RECENT_COLUMNS, trend)],
            "charts": [Chart(TREND_TITLE, quality_sparkline_chart(trend, filters.tz), describe_recent(trend))]}


def describe_recent(trend: pd.DataFrame) -> str:
    """One sentence on the daily trend: its days, validations and overall mean quality."""
    total = int(trend["validations"].sum()) if not trend.empty else 0
    if total == 0:
        return "No validations match these filters."
    first, last = pd.Timestamp(trend["period_start"].min()), pd.Timestamp(trend["period_start"].max())
    mean = (trend["mean_quality"] * trend["validations"]).sum() / total
    return (f"{total:,} validations from {first:%d %b %Y} to {last:%d %b %Y}; "
            f"mean quality {mean:.1f} over the whole span.")


def _top(filters: Filters, _options: ViewOptions) -> dict:
    return {"tables": [Table("top", "Top of the leaderboard", TOP_COLUMNS, top_algorithms(filters))]}


def _leaderboard(filters: Filters, options: ViewOptions) -> dict:
    # As on the page: the search narrows the table; the chart and summary show the whole board.
    board = rank_algorithms(filters)
    table = search_board(board, options.search)
    if options.sort_by:
        table = sort_by_metric(table, options.sort_by, options.descending)
    summary = summarize_leaderboard(board)
    search = options.search
    return {"tables": [Table("leaderboard", "Leaderboard", LEADERBOARD_COLUMNS, shown_types(table))],
            "charts": [Chart("Mean quality with 95% interval", leaderboard_chart(board.sort_values("rank")), summary)],
            "notes": [summary] + ([f"Table rows matching the search {search!r}."] if search else [])}


def shown_types(frame: pd.DataFrame) -> pd.DataFrame:
    """The table with its algorithm types as people read them ("Hybrid", see ``filters.type_label``)."""
    return frame.assign(type=frame["type"].map(type_label)) if "type" in frame else frame


def _algorithms(filters: Filters, options: ViewOptions) -> dict:
    frame = describe_algorithms(filters, options.sort_by or "quality", options.descending)
    return {"tables": [Table("algorithms", "Algorithms", ALGORITHM_COLUMNS, shown_types(frame))]}


def _statistics(filters: Filters, _options: ViewOptions) -> dict:
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


def _trends(filters: Filters, options: ViewOptions) -> dict:
    # The page's own call: split and rolling mean included, so the series are the screen's.
    trends = track_performance(filters, options.rolling, options.split)
    period = {"granularity": filters.granularity, "tz": filters.tz}
    columns = TREND_COLUMNS + (ROLLING_COLUMNS if options.rolling else ())
    per = filters.granularity
    return {"tables": [Table("trends", "Trends", columns, trends)],
            "charts": [Chart(f"Mean quality per {per}", quality_trend_chart(trends, rolling=options.rolling, **period),
                             describe_trends(trends, filters, options)),
                       Chart(f"Mean speedup per {per}", speedup_trend_chart(trends, rolling=options.rolling, **period)),
                       Chart(f"Validations per {per}", count_trend_chart(trends, **period))]}


def describe_trends(trends: pd.DataFrame, filters: Filters, options: ViewOptions) -> str:
    """True figures: the total, the number of periods and the mean per period; series and rolling window."""
    total = int(trends["validations"].sum()) if not trends.empty else 0
    if total == 0:
        return "No validations match these filters."
    per = filters.granularity
    periods = trends["period_start"].nunique()
    sentence = (f"{total:,} validations over {periods:,} {per}{'s' if periods != 1 else ''}, "
                f"{total / periods:,.0f} per {per} on average ({filters.tz}).")
    if options.split:
        names = sorted(trends["series"].unique())
        sentence += f" One line per {'algorithm type' if options.split == 'type' else 'domain'}: {', '.join(names)}."
    if options.rolling:
        sentence += f" Lines show the {options.rolling}-{per} rolling mean; dots each {per}."
    return sentence


def _comparison(filters: Filters, _options: ViewOptions) -> dict:
    metrics = compare_algorithms(filters).metrics
    chart = compare_trends_chart(compare_trends(filters), filters.granularity, filters.tz)
    return {"tables": [Table("comparison", "Side by side", COMPARISON_COLUMNS, shown_types(metrics))],
            "charts": [Chart(QUALITY_TITLE, compare_quality_chart(metrics), describe_intervals(metrics)),
                       Chart(f"Mean quality per {filters.granularity}", chart)]}


def describe_intervals(metrics: pd.DataFrame) -> str:
    """The algorithm with the highest mean quality, with its interval."""
    rated = metrics.dropna(subset=["mean_quality"])
    if rated.empty:
        return "None of these algorithms has validations in this date range."
    best = rated.loc[rated["mean_quality"].idxmax()]
    interval = (f" (95% interval {best['ci_low']:.1f} to {best['ci_high']:.1f})" if pd.notna(best["ci_low"])
                else "")
    return f"{best['name']} has the highest mean quality, {best['mean_quality']:.1f}{interval}."


def _differences(filters: Filters, _options: ViewOptions) -> dict:
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


ALGORITHM_COLUMNS_SHOWN = (
    Column("name", "Algorithm"), Column("domain", "Domain"), Column("type", "Type"),
    Column("rank", "Rank in domain", "int"), Column("rank_best", "Best possible rank", "int"),
    Column("rank_worst", "Worst possible rank", "int"), Column("peers", "Algorithms ranked", "int"),
    Column("mean_quality", "Mean quality", "float1"), Column("ci_low", "95% CI low", "float1"),
    Column("ci_high", "95% CI high", "float1"), Column("mean_speedup", "Mean speedup", "speedup"),
    Column("success_rate", "Success rate", "percent"), Column("tests", "Tests", "int"),
    Column("validations", "Validations", "int"),
)
RANK_HISTORY_COLUMNS = (
    Column("period_start", "Period start", "date"), Column("validations", "Validations", "int"),
    Column("mean_quality", "Mean quality", "float1"), Column("ci_low", "95% CI low", "float1"),
    Column("ci_high", "95% CI high", "float1"), Column("mean_speedup", "Mean speedup", "speedup"),
    Column("success_rate", "Success rate", "percent"), Column("rank", "Rank in domain", "int"),
    Column("rank_best", "Best possible rank", "int"), Column("rank_worst", "Worst possible rank", "int"),
    Column("peers", "Algorithms ranked", "int"), Column("domain_mean_quality", "Domain mean quality", "float1"),
)
LATEST_COLUMNS = (
    Column("created_at", "When", "datetime"), Column("id", "Validation id", "int"),
    Column("quality", "Quality", "float1"), Column("confidence", "Confidence", "float2"),
    Column("speedup", "Speedup", "speedup"), Column("tests", "Tests", "int"),
    Column("validator", "Validator"), Column("hypothesis_id", "Hypothesis"),
)


def one_algorithm(filters: Filters) -> str:
    """The id of the algorithm an ``algorithm`` report is about; ``BadRequest`` unless there is exactly one."""
    if len(filters.algorithms) != 1:
        raise BadRequest("An algorithm report needs exactly one algorithm id in filters.algorithms.",
                         [{"field": "filters.algorithms", "message": f"{len(filters.algorithms)} given"}])
    return filters.algorithms[0]


def _algorithm(filters: Filters, _options: ViewOptions) -> dict:
    # As its page shows it: its standing in its domain, its trend and rank per period, its latest validations.
    algorithm_id = one_algorithm(filters)
    profile = profile_algorithm(algorithm_id, filters)
    if profile is None:
        raise BadRequest(f"No algorithm {algorithm_id!r}.", [{"field": "filters.algorithms", "message": algorithm_id}])
    about, zone = profile.about, {"granularity": filters.granularity, "tz": filters.tz}
    standing = pd.DataFrame([{**profile.standing, "peers": profile.peers}] if profile.standing else [],
                            columns=[c.key for c in ALGORITHM_COLUMNS_SHOWN])
    summary = describe_standing(profile)
    return {"tables": [Table("algorithm", about["name"], ALGORITHM_COLUMNS_SHOWN, standing),
                       Table("rank_history", f"Per {filters.granularity}", RANK_HISTORY_COLUMNS, profile.history),
                       Table("latest", "Latest validations", LATEST_COLUMNS, profile.latest)],
            "charts": [Chart(f"Mean quality per {filters.granularity}",
                             algorithm_trend_chart(profile.history, about["name"], about["domain"], **zone), summary),
                       Chart(f"Rank in {about['domain']} per {filters.granularity}",
                             rank_history_chart(profile.history, about["domain"], **zone))],
            "notes": [summary]}


def describe_standing(profile) -> str:
    """One sentence: the algorithm's mean quality with its interval and its rank range in its domain."""
    row, about = profile.standing, profile.about
    if row is None:
        return f"No validations of {about['name']} in this period."
    interval = (f" (95% interval {row['ci_low']:.1f} to {row['ci_high']:.1f})" if row.get("ci_low") is not None
                else " (one validation, no interval)")
    possible = (f", possibly {int(row['rank_best'])} to {int(row['rank_worst'])}"
                if row["rank_best"] != row["rank_worst"] else "")
    return (f"{about['name']}: mean quality {row['mean_quality']:.1f}{interval}; rank {int(row['rank'])}{possible} "
            f"of {profile.peers} in {about['domain']} over {int(row['validations']):,} validations.")


SECTION_BUILDERS = {"kpis": _kpis, "recent": _recent, "top": _top, "leaderboard": _leaderboard,
                    "algorithms": _algorithms, "statistics": _statistics, "trends": _trends,
                    "comparison": _comparison, "differences": _differences, "algorithm": _algorithm}
