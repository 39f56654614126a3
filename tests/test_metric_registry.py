"""The metric registry: complete entries, number formats written out by hand, and no label written twice."""
from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd
import pytest

from helios_dash.domain import metrics as m
from helios_dash.domain.metrics import FORMATS, METRICS, metric

PACKAGE = Path(__file__).resolve().parents[1] / "helios_dash"
# Where labels are shown: these read them from the registry, never spell them out.
SHOWING = ("pages", "figures", "ui", "exports", "reports", "api")
RETIRED = ("Success rate",)  # the short form the exports used before the registry gave them one label


@pytest.mark.parametrize("key", list(METRICS))
def test_every_metric_is_complete(key):
    found = metric(key)
    assert found.key == key
    for field in ("label", "unit", "format", "description"):
        assert isinstance(getattr(found, field), str) and getattr(found, field).strip(), field
    assert found.format in FORMATS
    assert found.description.endswith(".")


def test_labels_and_keys_are_unique():
    labels = [entry.label for entry in METRICS.values()]
    assert len(set(labels)) == len(labels)


def test_an_unknown_metric_is_named_in_the_error():
    with pytest.raises(KeyError, match="No metric 'mean_qualty'; known: mean_quality"):
        metric("mean_qualty")


def test_the_words_users_read():
    assert m.SUCCESS_RATE.label == "Success rate (quality > 70)"
    assert m.MEAN_QUALITY.axis == "Mean quality (score 0-100)"
    assert m.MEAN_SPEEDUP.axis == "Mean speedup (x baseline)"
    assert m.MAX_SPEEDUP.label == "Best speedup"


@pytest.mark.parametrize("entry, value, shown", [
    (m.MEAN_QUALITY, 85.26, "85.3"),
    (m.MEAN_QUALITY, 7, "7.0"),
    (m.CI_LOW, 89.44, "89.4"),
    (m.SUCCESS_RATE, 0.4532, "45.3%"),
    (m.SUCCESS_RATE, 1.0, "100.0%"),
    (m.MEAN_SPEEDUP, 1.234, "1.23x"),
    (m.MAX_SPEEDUP, 12.5, "12.50x"),
    (m.MEAN_CONFIDENCE, 0.8749, "0.87"),
    (m.VALIDATIONS, 1234567, "1,234,567"),
    (m.TESTS, 0, "0"),
    (m.RANK, 3, "3"),
])
def test_values_are_written_as_the_dashboard_shows_them(entry, value, shown):
    assert entry.show(value) == shown


@pytest.mark.parametrize("entry, change, shown", [
    (m.MEAN_QUALITY, 1.25, "+1.2"),  # 1.25 is exact in binary: the tie goes to the even digit
    (m.MEAN_QUALITY, -0.04, "-0.0"),
    (m.SUCCESS_RATE, 0.025, "+2.5 pts"),  # 62.5% - 60.0%: points, not a percent change
    (m.SUCCESS_RATE, -0.25, "-25.0 pts"),
    (m.MEAN_SPEEDUP, -0.5, "-0.50x"),
    (m.VALIDATIONS, 1200, "+1,200"),
])
def test_changes_are_signed_in_the_unit_people_compare(entry, change, shown):
    assert entry.show_change(change) == shown


def test_chart_hovers_and_grid_formatters_use_d3_forms_of_the_same_formats():
    assert m.MEAN_QUALITY.hover("x") == "%{x:.1f}"
    assert m.MEAN_SPEEDUP.hover("customdata[5]") == "%{customdata[5]:.2f}x"
    assert m.SUCCESS_RATE.hover("customdata[7]") == "%{customdata[7]:.1%}"
    assert m.VALIDATIONS.hover("y") == "%{y:,}"
    assert m.MEAN_SPEEDUP.d3_formatter() == "d3.format('.2f')(params.value) + 'x'"
    assert m.TESTS.d3_formatter("params.data.tests") == "d3.format(',')(params.data.tests)"


def test_the_excel_formats_match_the_dashboard():
    assert {name: number.excel for name, number in FORMATS.items()} == {
        "int": "#,##0", "float1": "0.0", "float2": "0.00", "percent": "0.0%", "speedup": '0.00"x"'}


def test_the_pdf_writes_registry_formats():
    from zoneinfo import ZoneInfo

    from helios_dash.exports.pdf_table import format_column

    utc = ZoneInfo("UTC")
    assert format_column(pd.Series([0.4532, None]), "percent", utc) == ["45.3%", "–"]
    assert format_column(pd.Series([1.234]), "speedup", utc) == ["1.23x"]
    assert format_column(pd.Series([3442]), "int", utc) == ["3,442"]


def test_report_columns_take_the_registry_labels():
    from helios_dash.reports.columns import LEADERBOARD_COLUMNS, STATISTICS_COLUMNS

    headers = {c.key: (c.header, c.kind) for c in LEADERBOARD_COLUMNS + STATISTICS_COLUMNS}
    assert headers["success_rate"] == ("Success rate (quality > 70)", "percent")
    assert headers["mean_speedup"] == ("Mean speedup", "speedup")
    assert headers["max_speedup"] == ("Best speedup", "speedup")


def shown_strings(path: Path) -> list[tuple[int, str]]:
    """Every string literal of ``path`` (f-string pieces included) except docstrings, with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.value) for node in ast.walk(tree)
                  if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)}
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


def hard_coded_labels(text: str) -> list[str]:
    """The registry labels ``text`` spells out: any label as the whole text, a label of several words anywhere."""
    labels = [entry.label for entry in METRICS.values()]
    found = [label for label in labels if text == label]
    found += [label for label in labels if " " in label and label in text and text != label]
    return found + [word for word in RETIRED if word in text and "Success rate (quality" not in text]


def test_the_checker_finds_a_label_written_by_hand(tmp_path):
    sample = tmp_path / "page.py"
    sample.write_text('"""Mean quality per domain: a docstring may say it."""\n'
                      'A = "Mean quality"\nB = f"Best speedup {x}"\nC = ("Success rate", "Tests")\n'
                      'D = "Change"\n', encoding="utf-8")
    found = [(line, label) for line, text in shown_strings(sample) for label in hard_coded_labels(text)]
    assert sorted(found) == [(2, "Mean quality"), (3, "Best speedup"), (4, "Success rate"), (4, "Tests")]


def test_no_metric_label_is_written_outside_the_registry():
    offences = []
    for folder in SHOWING:
        for path in sorted((PACKAGE / folder).rglob("*.py")):
            for line, text in shown_strings(path):
                offences += [f"{path.relative_to(PACKAGE)}:{line}: {label!r} in {text!r}"
                             for label in hard_coded_labels(text)]
    assert offences == [], "read these from helios_dash.domain.metrics:\n" + "\n".join(offences)
