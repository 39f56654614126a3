"""Tables in the PDF: values formatted by their column's kind, the header row repeated on every page.

Rows are written with a ``cell()`` loop rather than fpdf2's ``table()``: about
5,600 rows/s against 730 rows/s measured here, and the header is simple to repeat.
"""
from __future__ import annotations

import math
from zoneinfo import ZoneInfo

import pandas as pd
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from ..domain.metrics import FORMATS as NUMBER_FORMATS
from .model import Column, Table
from .pdf_layout import FONT, GREY, fit_text, heading, paragraph

MISSING = "–"
NO_ROWS = "No data: no rows match these filters."
BODY_SIZE = 7.5  # pt
ROW_HEIGHT = 4.6  # mm
DETAIL_LINE = 3.6  # mm per line of a row's wrapped detail (Column.wrap)
HEADER_LINE = 3.4  # mm per line of a header, which may wrap
PORTRAIT_WIDTH = 180  # mm between the margins of an A4 portrait page: wider tables get landscape pages
MAX_STRETCH = 1.4  # a narrow table grows at most this much: wider, its columns drift apart
MIN_TEXT_WIDTH = 12  # mm below which a text column would say nothing
SAMPLE_ROWS = 500  # rows measured for column widths: enough to see the long names, cheap on large tables
HEADER_FILL = (222, 226, 230)
STRIPE_FILL = (245, 246, 248)
FORMATS = {
    **{kind: number.show for kind, number in NUMBER_FORMATS.items()},  # as the dashboard writes them
    # A column whose rows measure different things (key figures): whole numbers as such, others to 2 decimals.
    "number": lambda v: f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}",
}


def format_column(values: pd.Series, kind: str, zone: ZoneInfo) -> list[str]:
    """Each value as the report prints it: numbers by ``kind``, times in ``zone`` with their UTC offset."""
    if kind == "datetime":  # stored in UTC (naive values are UTC too)
        stamps = pd.to_datetime(values, utc=True).dt.tz_convert(zone)
        return [MISSING if pd.isna(s) else s.isoformat(sep=" ", timespec="minutes") for s in stamps]
    if kind == "date":
        return [MISSING if pd.isna(d) else _local(pd.Timestamp(d), zone).strftime("%Y-%m-%d") for d in values]
    fmt = FORMATS.get(kind, _text)
    return [MISSING if _missing(v) else fmt(v) for v in values.tolist()]


def write_table(pdf: FPDF, table: Table, zone: ZoneInfo) -> None:
    """The table under its title, on landscape pages if it is wide; the header row starts every page.

    Long free text (``Column.wrap``: author, internal notes) is not a column, where it would be cut
    short: it follows its row as a full-width line of its own, wrapped.
    """
    columns = tuple(c for c in table.columns if not c.wrap)
    cells = [format_column(table.frame[c.key], c.kind, zone) for c in columns]
    details = _detail_lines(table, zone)
    pdf.set_font(FONT, size=BODY_SIZE)
    natural, roomy = zip(*(_natural_widths(pdf, c, texts) for c, texts in zip(columns, cells)))
    orientation = "L" if sum(natural) > PORTRAIT_WIDTH else "P"
    # A narrow table may share a landscape page; a wide one needs one. 40 mm: title, header, a few rows.
    if (orientation == "L" and pdf.cur_orientation != "L") or pdf.will_page_break(40):
        pdf.add_page(orientation=orientation)
    heading(pdf, table.title)
    if table.frame.empty:
        paragraph(pdf, NO_ROWS)
        return
    widths = _fit_widths(list(natural), list(roomy), columns, pdf.epw)
    _write_rows(pdf, table.title, columns, cells, widths, pdf.cur_orientation, details)


def _detail_lines(table: Table, zone: ZoneInfo) -> list[str] | None:
    """Per row, its wrapping columns as ``Author: … · Internal notes: …``; None if the table has none."""
    wrapped = [c for c in table.columns if c.wrap]
    if not wrapped:
        return None
    texts = [format_column(table.frame[c.key], c.kind, zone) for c in wrapped]
    return [" · ".join(f"{c.header}: {text}" for c, text in zip(wrapped, row)) for row in zip(*texts)]


def _write_rows(pdf: FPDF, title: str, columns: tuple[Column, ...], cells: list[list[str]], widths: list[float],
                orientation: str, details: list[str] | None = None) -> None:
    aligns = ["L" if c.kind == "text" else "R" for c in columns]
    header_height = _write_header(pdf, columns, widths)
    for number, row in enumerate(zip(*cells)):
        detail = details[number] if details else None
        height = ROW_HEIGHT + (_lines(pdf, detail, pdf.epw, DETAIL_LINE) * DETAIL_LINE if detail else 0)
        if pdf.will_page_break(height):
            pdf.add_page(orientation=orientation)
            paragraph(pdf, f"{title} (continued)", size=8, colour=GREY)
            _write_header(pdf, columns, widths, header_height)
        fill = number % 2 == 1  # stripes guide the eye along wide rows
        for text, width, align in zip(row, widths, aligns):
            pdf.cell(width, ROW_HEIGHT, fit_text(pdf, text, width), align=align, fill=fill)
        pdf.ln(ROW_HEIGHT)
        if detail:  # under its row, on the row's stripe, in grey: it belongs to the row above
            pdf.set_text_color(*GREY)
            pdf.multi_cell(pdf.epw, DETAIL_LINE, detail, fill=fill, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_text_color(0)


def _write_header(pdf: FPDF, columns: tuple[Column, ...], widths: list[float], height: float = 0) -> float:
    pdf.set_font(FONT, "B", BODY_SIZE)
    height = height or HEADER_LINE * max(_lines(pdf, c.header, w) for c, w in zip(columns, widths)) + 1
    pdf.set_fill_color(*HEADER_FILL)
    top = pdf.get_y()
    for column, width in zip(columns, widths):
        pdf.rect(pdf.get_x(), top, width, height, style="F")
        pdf.multi_cell(width, HEADER_LINE, column.header, align="L" if column.kind == "text" else "R",
                       new_x=XPos.RIGHT, new_y=YPos.TOP)
    pdf.set_xy(pdf.l_margin, top + height)
    pdf.set_font(FONT, size=BODY_SIZE)
    pdf.set_fill_color(*STRIPE_FILL)
    return height


def _lines(pdf: FPDF, text: str, width: float, line_height: float = HEADER_LINE) -> int:
    return len(pdf.multi_cell(width, line_height, text, dry_run=True, output="LINES"))


def _natural_widths(pdf: FPDF, column: Column, texts: list[str]) -> tuple[float, float]:
    # The widest value of a sample, against the header's longest word (tight) or whole header (roomy).
    pdf.set_font(FONT, "B", BODY_SIZE)
    word = max(pdf.get_string_width(w) for w in column.header.split() or [""])
    header = pdf.get_string_width(column.header)
    pdf.set_font(FONT, size=BODY_SIZE)
    value = max((pdf.get_string_width(t) for t in texts[:SAMPLE_ROWS]), default=0)
    padding = 2 * pdf.c_margin + 0.5
    return max(word, value) + padding, max(header, value) + padding


def _fit_widths(natural: list[float], roomy: list[float], columns: tuple[Column, ...],
                available: float) -> list[float]:
    # Within ``available`` mm: one-line headers if there is room, else the widest text columns give way.
    for wanted in (roomy, natural):
        if sum(wanted) <= available:
            stretch = min(available / sum(wanted), MAX_STRETCH)
            return [w * stretch for w in wanted]
    is_text = [c.kind == "text" for c in columns]
    room = available - sum(w for w, text in zip(natural, is_text) if not text)
    if room < MIN_TEXT_WIDTH * sum(is_text):  # hopeless: everything shrinks alike
        return [w * available / sum(natural) for w in natural]
    cap = _level(sorted(w for w, text in zip(natural, is_text) if text), room)
    return [min(w, cap) if text else w for w, text in zip(natural, is_text)]


def _level(widths: list[float], room: float) -> float:
    # The cap at which the text columns, each cut down to it if wider, fill ``room`` exactly:
    # the short ones (domain, type) stay whole, the long ones (names, ids) share what is left.
    for position, width in enumerate(widths):
        share = (room - sum(widths[:position])) / (len(widths) - position)
        if width >= share:
            return share
    return widths[-1]


def _local(stamp: pd.Timestamp, zone: ZoneInfo) -> pd.Timestamp:
    return stamp.tz_convert(zone) if stamp.tzinfo else stamp  # naive dates are already local


def _missing(value) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def _text(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
