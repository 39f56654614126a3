"""The sentences a report prints beside its charts and tables: true figures, numbers as the registry writes them."""
from __future__ import annotations

import pandas as pd

from ..domain.metrics import KEY_FIGURES, MEAN_QUALITY
from ..exports.model import ViewOptions
from ..filters import Filters
from ..services.overview import significant_changes
from .columns import SENSITIVE_COLUMNS

NO_DATA = "No validations match these filters."
SIGNIFICANCE_NOTE = ("Significant: the 95% interval of the quality difference excludes zero (Welch, normal "
                     "approximation).")
quality = MEAN_QUALITY.show


def describe_significance(months: pd.DataFrame) -> str:
    """Which changes are significant at 95%, by the rules the Overview colours them with."""
    verdicts = significant_changes(months)
    said = {True: "significant", False: "not significant", None: "not tested (too little data)"}
    parts = [f"{metric.label.lower()} {said[verdicts[field]]}" for field, metric in KEY_FIGURES
             if field != "best_speedup"]
    return ("Changes at the 95% level (Welch t-test for mean quality, two-proportion test for the success rate, "
            "exact test of validations per elapsed hour): " + "; ".join(parts) + ".")


def describe_recent(trend: pd.DataFrame) -> str:
    """One sentence on the daily trend: its days, validations and overall mean quality."""
    total = int(trend["validations"].sum()) if not trend.empty else 0
    if total == 0:
        return NO_DATA
    first, last = pd.Timestamp(trend["period_start"].min()), pd.Timestamp(trend["period_start"].max())
    mean = (trend["mean_quality"] * trend["validations"]).sum() / total
    return (f"{total:,} validations from {first:%d %b %Y} to {last:%d %b %Y}; "
            f"mean quality {quality(mean)} over the whole span.")


def describe_domains(stats) -> str:
    """One sentence on the domain statistics: the best domain, or the only one."""
    if stats.empty:
        return NO_DATA
    top = stats.iloc[0]
    if len(stats) == 1:
        return f"{top['domain']}: mean quality {quality(top['mean_quality'])} over {top['validations']:,} validations."
    return f"{top['domain']} has the highest mean quality ({quality(top['mean_quality'])}) of {len(stats)} domains."


def describe_trends(trends: pd.DataFrame, filters: Filters, options: ViewOptions) -> str:
    """True figures: the total, the number of periods and the mean per period; series and rolling window."""
    total = int(trends["validations"].sum()) if not trends.empty else 0
    if total == 0:
        return NO_DATA
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


def describe_intervals(metrics: pd.DataFrame) -> str:
    """The algorithm with the highest mean quality, with its interval."""
    rated = metrics.dropna(subset=["mean_quality"])
    if rated.empty:
        return "None of these algorithms has validations in this date range."
    best = rated.loc[rated["mean_quality"].idxmax()]
    interval = (f" (95% interval {quality(best['ci_low'])} to {quality(best['ci_high'])})"
                if pd.notna(best["ci_low"]) else "")
    return f"{best['name']} has the highest mean quality, {quality(best['mean_quality'])}{interval}."


def describe_standing(profile) -> str:
    """One sentence: the algorithm's mean quality with its interval and its rank range in its domain."""
    row, about = profile.standing, profile.about
    if row is None:
        return f"No validations of {about['name']} in this period."
    interval = (f" (95% interval {quality(row['ci_low'])} to {quality(row['ci_high'])})"
                if row.get("ci_low") is not None else " (one validation, no interval)")
    possible = (f", possibly {int(row['rank_best'])} to {int(row['rank_worst'])}"
                if row["rank_best"] != row["rank_worst"] else "")
    return (f"{about['name']}: mean quality {quality(row['mean_quality'])}{interval}; rank {int(row['rank'])}"
            f"{possible} of {profile.peers} in {about['domain']} over {int(row['validations']):,} validations.")


def describe_details(about: dict) -> str | None:
    """``Author: … Internal notes: …`` when the service left them in ``about`` (editors and admins), else None.

    Printed in full where a table cell would cut them short (the PDF's narrow columns).
    """
    parts = [f"{c.header}: {about[c.key] or 'none'}" for c in SENSITIVE_COLUMNS if c.key in about]
    return " ".join(part if part.endswith(".") else part + "." for part in parts) or None
