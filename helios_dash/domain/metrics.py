"""The metric registry: every measure the product shows, with its one label, unit and number format.

Pages, charts, exports and sentences read a measure's words and its number format from
here, so that "Success rate (quality > 70)" or "1.23x" is written in one place. A
metric's ``format`` names a ``NumberFormat`` of ``FORMATS``; it is also the column kind
the exports use ("float1", "percent", ...), so an XLSX cell, a PDF cell and a page card
show a value alike.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NumberFormat:
    """How a kind of number is written: as a value, as a signed change, and for d3 (charts, grid)."""

    name: str
    value: str  # str.format pattern of a value: "{:.1f}"
    change: str  # of a difference between two values: "{:+.1f}"
    d3: str  # d3-format specifier, as plotly's hover and the grid's formatter take it: ".1f"
    excel: str  # an XLSX cell's number format: the value stays a number, shown as above
    suffix: str = ""  # written after a d3-formatted number: "x" for a speedup
    change_scale: int = 1  # a difference of shares is shown in percentage points: x 100

    def show(self, value) -> str:
        """``value`` as the dashboard writes it."""
        return self.value.format(value)

    def show_change(self, change) -> str:
        """A difference of two values, signed, in the unit people compare them in (points for a share)."""
        return self.change.format(change * self.change_scale)


FORMATS = {f.name: f for f in (
    NumberFormat("int", "{:,.0f}", "{:+,.0f}", ",", "#,##0"),
    NumberFormat("float1", "{:.1f}", "{:+.1f}", ".1f", "0.0"),
    NumberFormat("float2", "{:.2f}", "{:+.2f}", ".2f", "0.00"),
    # A rate's change is a difference of percentages: percentage points, not a percent change.
    NumberFormat("percent", "{:.1%}", "{:+.1f} pts", ".1%", "0.0%", change_scale=100),
    NumberFormat("speedup", "{:.2f}x", "{:+.2f}x", ".2f", '0.00"x"', suffix="x"),
)}


@dataclass(frozen=True)
class Metric:
    """One measure: its column key, the label people read, its unit, its number format, what it means."""

    key: str
    label: str
    unit: str
    format: str  # a key of FORMATS, and the exports' column kind
    description: str

    @property
    def number(self) -> NumberFormat:
        """The number format of this metric."""
        return FORMATS[self.format]

    @property
    def axis(self) -> str:
        """A chart axis title: "Mean quality (score 0-100)"."""
        return f"{self.label} ({self.unit})"

    def show(self, value) -> str:
        """``value`` as the dashboard writes it: "85.2", "45.0%", "1.23x", "1,234"."""
        return self.number.show(value)

    def show_change(self, change) -> str:
        """A signed difference: "+1.2", "+2.5 pts", "-0.50x"."""
        return self.number.show_change(change)

    def hover(self, reference: str) -> str:
        """A plotly hover placeholder for this metric's value at ``reference`` ("x", "customdata[3]")."""
        return f"%{{{reference}:{self.number.d3}}}{self.number.suffix}"

    def d3_formatter(self, value: str = "params.value") -> str:
        """A JavaScript expression writing ``value`` as this metric (the AG Grid's valueFormatter)."""
        suffix = f" + '{self.number.suffix}'" if self.number.suffix else ""
        return f"d3.format('{self.number.d3}')({value}){suffix}"


QUALITY_SCORE = "score 0-100"
SPEEDUP_UNIT = "x baseline"
SUCCESS_THRESHOLD = 70  # a validation succeeds above this quality (queries count quality > 70)

MEAN_QUALITY = Metric("mean_quality", "Mean quality", QUALITY_SCORE, "float1",
                      "The mean quality score of the validations.")
MIN_QUALITY = Metric("min_quality", "Lowest quality", QUALITY_SCORE, "float1",
                     "The lowest quality score of the validations.")
DOMAIN_MEAN_QUALITY = Metric("domain_mean_quality", "Domain mean quality", QUALITY_SCORE, "float1",
                             "The mean quality of every algorithm of the domain in the same period.")
QUALITY = Metric("quality", "Quality", QUALITY_SCORE, "float1", "The quality score of one validation.")
CI_LOW = Metric("ci_low", "95% CI low", QUALITY_SCORE, "float1",
                "Lower bound of the 95% confidence interval of the mean quality (normal approximation).")
CI_HIGH = Metric("ci_high", "95% CI high", QUALITY_SCORE, "float1",
                 "Upper bound of the 95% confidence interval of the mean quality (normal approximation).")
SUCCESS_RATE = Metric("success_rate", f"Success rate (quality > {SUCCESS_THRESHOLD})", "%", "percent",
                      f"The share of validations with a quality above {SUCCESS_THRESHOLD}.")
MEAN_SPEEDUP = Metric("mean_speedup", "Mean speedup", SPEEDUP_UNIT, "speedup",
                      "The mean speedup against the domain's baseline algorithm.")
MAX_SPEEDUP = Metric("max_speedup", "Best speedup", SPEEDUP_UNIT, "speedup",
                     "The highest speedup of one validation against the domain's baseline.")
SPEEDUP = Metric("speedup", "Speedup", SPEEDUP_UNIT, "speedup", "The speedup of one validation against the baseline.")
MEAN_CONFIDENCE = Metric("mean_confidence", "Mean confidence", "0-1", "float2",
                         "The mean confidence the validators gave their results.")
CONFIDENCE = Metric("confidence", "Confidence", "0-1", "float2", "The confidence of one validation.")
TESTS = Metric("tests", "Tests", "count", "int", "The number of tests run, summed over the validations.")
VALIDATIONS = Metric("validations", "Validations", "count", "int", "The number of validations.")
RANK = Metric("rank", "Rank", "place", "int",
              "Place by mean quality, then mean speedup, then tests (1 = best).")
RANK_BEST = Metric("rank_best", "Best possible rank", "place", "int",
                   "1 + the algorithms whose 95% interval lies entirely above this one's.")
RANK_WORST = Metric("rank_worst", "Worst possible rank", "place", "int",
                    "The algorithms whose 95% interval does not lie entirely below this one's (itself included).")
TIER = Metric("tier", "Tier", "tier", "int",
              "Groups of ranks no interval crosses: every algorithm of a tier is ahead of every one below it.")
RANK_CHANGE = Metric("rank_change", "Rank change", "places", "int",
                     "Places gained (positive) or lost against the period of equal length just before.")
PEERS = Metric("peers", "Algorithms ranked", "algorithms", "int",
               "How many algorithms of the domain were ranked in the period.")
ROLLING_QUALITY = Metric("rolling_quality", "Rolling mean quality", QUALITY_SCORE, "float1",
                         "The mean quality over the last N periods.")
ROLLING_SPEEDUP = Metric("rolling_speedup", "Rolling mean speedup", SPEEDUP_UNIT, "speedup",
                         "The mean speedup over the last N periods.")

METRICS = {m.key: m for m in (
    MEAN_QUALITY, MIN_QUALITY, DOMAIN_MEAN_QUALITY, QUALITY, CI_LOW, CI_HIGH, SUCCESS_RATE, MEAN_SPEEDUP,
    MAX_SPEEDUP, SPEEDUP, MEAN_CONFIDENCE, CONFIDENCE, TESTS, VALIDATIONS, RANK, RANK_BEST, RANK_WORST, TIER,
    RANK_CHANGE, PEERS, ROLLING_QUALITY, ROLLING_SPEEDUP,
)}
# The Overview's key figures: a field of services.overview.compare_months, and its metric.
KEY_FIGURES = (("total_validations", VALIDATIONS), ("mean_quality", MEAN_QUALITY), ("success_rate", SUCCESS_RATE),
               ("best_speedup", MAX_SPEEDUP))


def metric(key: str) -> Metric:
    """The metric called ``key``; ``KeyError`` naming the known ones otherwise."""
    try:
        return METRICS[key]
    except KeyError:
        raise KeyError(f"No metric {key!r}; known: {', '.join(METRICS)}") from None
