"""The export vocabulary: one list of kinds and formats, which the menu, the API and the renderer all follow."""
from __future__ import annotations

import importlib

import pytest

from helios_dash.reports.vocabulary import (COMMAND_LINE_KINDS, EXPORT_FORMATS, EXPORT_KINDS, PAGE_KINDS, RECORDS,
                                            SECTIONS, default_sections, is_heavy)


def test_formats_name_their_files():
    assert list(EXPORT_FORMATS) == ["csv", "xlsx", "json", "pdf"]  # the Download menu's order
    assert EXPORT_FORMATS["csv"].media_type == "text/csv; charset=utf-8"
    assert EXPORT_FORMATS["xlsx"].media_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert EXPORT_FORMATS["json"].media_type == "application/json"
    assert EXPORT_FORMATS["pdf"].media_type == "application/pdf"
    assert all(fmt.extension == name for name, fmt in EXPORT_FORMATS.items())


@pytest.mark.parametrize("name", list(EXPORT_FORMATS))
def test_every_format_has_a_renderer(name):
    module = importlib.import_module(f"helios_dash.exports.{name}")
    assert callable(getattr(module, f"to_{name}"))


def test_kinds_hold_known_sections_in_report_order():
    for kind in EXPORT_KINDS.values():
        assert set(kind.sections) <= set(SECTIONS) and kind.sections[-1] == "metadata", kind.name
        assert kind.title.startswith("HELIOS ")
    assert PAGE_KINDS == ("overview", "domains", "trends", "compare", "leaderboard", "algorithm")
    assert COMMAND_LINE_KINDS == ("leaderboard", "algorithms", "report")


def test_a_csv_holds_the_first_table():
    assert default_sections(("differences", "comparison", "metadata"), "csv") == ("differences", "metadata")
    assert EXPORT_KINDS["compare"].sections_for("xlsx") == ("differences", "comparison", "metadata")


def test_heavy_work_is_pdf_xlsx_or_every_record():
    assert is_heavy("pdf", ("leaderboard",)) and is_heavy("xlsx", ("leaderboard",))
    assert not is_heavy("json", ("leaderboard",)) and not is_heavy("csv", ("leaderboard",))
    assert is_heavy("csv", (RECORDS,))


def test_the_download_menu_offers_every_format_with_its_label():
    from helios_dash.ui.frame import download_menu

    menu = download_menu("leaderboard").children[0]
    assert [(item.id["format"], item.children) for item in menu.children] == [
        (name, fmt.label) for name, fmt in EXPORT_FORMATS.items()]


def test_an_unknown_export_kind_names_every_kind(client):
    response = client.post("/api/v1/export/nope", json={})
    assert response.status_code == 404
    assert response.get_json()["error"]["message"] == f"No export called 'nope'; use {', '.join(EXPORT_KINDS)}."
