"""The PDF report of a view: what it covers, its KPIs and notes, its charts with a sentence each, its tables."""
from __future__ import annotations

from io import BytesIO
from urllib.parse import urljoin

import pandas as pd

import plotly.graph_objects as go
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from .charts import render_chart
from .model import Chart, Report
from ..ui.links import algorithm_href
from .pdf_layout import FONT, GREY, LINK_BLUE, ReportPDF, field, fit_text, heading, paragraph
from .pdf_table import write_table

CHART_PIXELS = 900  # layout width the charts are drawn at: the dashboard's own proportions
# PNG, not SVG: fpdf2 (2.8) draws plotly's SVG without its clip paths (lines would spill out of the plot)
# and writes its text in Latin-1 core fonts (a legend's "≈" stops the chart from being drawn at all).
CHART_SCALE = 3  # 2,700 pixels across 180 mm, about 380 dpi: sharp in print
DEFAULT_CHART_HEIGHT = 360  # pixels, as figures.common.base_figure
NO_DATA = "No data: no validations match these filters."
CHART_TEXT_ROOM = 25  # mm kept for a chart's heading above and its sentence below
MIN_CHART_SCALE = 0.75  # a chart is drawn down to this share of its size to stay on the current page


def to_pdf(report: Report) -> bytes:
    """The report as a PDF document."""
    pdf = ReportPDF(f"{report.title} · generated {_generated(report)}")
    pdf.set_title(report.title)
    pdf.set_creation_date(report.generated_at)
    pdf.add_page()
    _write_cover(pdf, report)
    # Section by section, each section's charts above its tables; charts of no table's section come first.
    named = {table.name for table in report.tables}
    for chart in report.charts:
        if chart.section not in named:
            _write_chart(pdf, chart)
    for table in report.tables:
        for chart in report.charts:
            if chart.section == table.name:
                _write_chart(pdf, chart)
        write_table(pdf, table, report.filters.zone)
    if not (report.tables or report.charts or report.kpis):
        paragraph(pdf, NO_DATA)
    _write_algorithm_links(pdf, algorithm_links(report))
    return bytes(pdf.output())


LINKED_COLUMNS = (("algorithm_id", "name"), ("algorithm_a", "name_a"), ("algorithm_b", "name_b"))  # id, name
MAX_LINKS = 300  # a leaderboard of every algorithm fits; beyond, the dashboard's search does better


def algorithm_links(report: Report) -> list[tuple[str, str]]:
    """Each algorithm the report's tables name, once, in order, with the address of its page.

    The address keeps the report's shared filters (domain, type, dates, timezone), as the
    dashboard's own links do (``ui.links.algorithm_href``), on the host of the report's link.
    """
    named: dict[str, str] = {}
    for table in report.tables:
        for id_key, name_key in LINKED_COLUMNS:
            if id_key in table.frame and name_key in table.frame:
                for algorithm_id, name in zip(table.frame[id_key], table.frame[name_key]):
                    if pd.notna(algorithm_id) and pd.notna(name):
                        named.setdefault(str(algorithm_id), str(name))
    return [(name, urljoin(report.link, algorithm_href(algorithm_id, report.filters)))
            for algorithm_id, name in list(named.items())[:MAX_LINKS]]


def _write_algorithm_links(pdf: FPDF, links: list[tuple[str, str]]) -> None:
    if not links:
        return
    if pdf.will_page_break(30):
        pdf.add_page(orientation="P")
    heading(pdf, "Algorithm pages")
    paragraph(pdf, "Each algorithm named above, with its page in the dashboard (same filters):", size=9, colour=GREY)
    for name, url in links:
        pdf.set_font(FONT, "U", 8.5)
        pdf.set_text_color(*LINK_BLUE)
        pdf.multi_cell(0, 4.5, f"{name}: {url}", link=url, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0)
    pdf.set_font(FONT, size=10)


def _write_cover(pdf: FPDF, report: Report) -> None:
    pdf.set_font(FONT, "B", 18)
    pdf.multi_cell(0, 9, report.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    # The metadata says what the report covers; time and link come from the report itself, so always present.
    described = {**report.metadata, "Generated": _generated(report), "Link": report.link}
    for label, value in described.items():
        field(pdf, label, value, link=report.link if label == "Link" else None)
    if report.kpis:
        _write_kpis(pdf, report.kpis)
    # A note that a chart already carries as its summary is printed there, not twice.
    notes = [note for note in report.notes if note not in {chart.summary for chart in report.charts}]
    if notes:
        heading(pdf, "Notes")
        for note in notes:
            paragraph(pdf, note)


def _generated(report: Report) -> str:
    zone = getattr(report.generated_at.tzinfo, "key", None) or report.filters.tz
    return f"{report.generated_at.isoformat(sep=' ', timespec='seconds')} ({zone})"


def _write_kpis(pdf: FPDF, kpis: tuple[tuple[str, str], ...]) -> None:
    heading(pdf, "Key figures")
    per_row = min(len(kpis), 4)
    width = pdf.epw / per_row
    for start in range(0, len(kpis), per_row):
        top = pdf.get_y()
        for position, (label, value) in enumerate(kpis[start:start + per_row]):
            x = pdf.l_margin + position * width
            pdf.rect(x, top, width - 2, 16)
            pdf.set_xy(x, top + 1.5)
            pdf.set_font(FONT, size=8)
            pdf.set_text_color(*GREY)
            pdf.cell(width - 2, 4, fit_text(pdf, label, width - 2), align="C")
            pdf.set_xy(x, top + 6.5)
            pdf.set_font(FONT, "B", 14)
            pdf.set_text_color(0)
            pdf.cell(width - 2, 7, fit_text(pdf, value, width - 2), align="C")
        pdf.set_xy(pdf.l_margin, top + 18)
    pdf.set_font(FONT, size=10)


def _write_chart(pdf: FPDF, chart: Chart) -> None:
    pixels_high = chart.drawn.layout.height or DEFAULT_CHART_HEIGHT
    png = render_chart(_untitled(chart), CHART_PIXELS, pixels_high, "png", CHART_SCALE)
    # Tall charts (a long leaderboard) are narrowed so that title, chart and sentence share one page.
    width = min(pdf.epw, (pdf.eph - CHART_TEXT_ROOM) * CHART_PIXELS / pixels_high)
    height = width * pixels_high / CHART_PIXELS
    room = pdf.h - pdf.b_margin - pdf.get_y() - CHART_TEXT_ROOM
    if height > room >= height * MIN_CHART_SCALE:
        # A little too tall for what is left of the page: drawn a little smaller here rather than
        # alone on the next page with the rest of this one empty.
        width, height = width * room / height, room
    if pdf.will_page_break(height + CHART_TEXT_ROOM):
        pdf.add_page(orientation="P")
    heading(pdf, chart.title)
    pdf.image(BytesIO(png), x=pdf.l_margin + (pdf.epw - width) / 2, w=width, h=height)
    if chart.summary:
        paragraph(pdf, chart.summary, size=9, style="I")


def _untitled(chart: Chart) -> go.Figure:
    # The heading above the image already says what a figure's own title would say again.
    if chart.drawn.layout.title.text != chart.title:
        return chart.drawn
    figure = go.Figure(chart.drawn)
    figure.update_layout(title_text=None, margin_t=20)
    return figure
