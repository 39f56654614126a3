"""The PDF page itself: a Unicode font, the footer with page numbers, and text blocks."""
from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from ..errors import HeliosError

# Debian's fonts-dejavu-core. fpdf2's own core fonts are Latin-1 only, and names such as
# "Schrödinger–QAOA" or signs such as "±" and "≈" must print.
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}
FONT = "DejaVu"
MARGIN = 15  # mm
LINK_BLUE = (13, 110, 253)  # the dashboard's primary colour
GREY = (108, 117, 125)


class ReportFontUnavailable(HeliosError):
    """The Unicode font that PDF reports are written in is not installed."""

    code = "PDF_FONT_UNAVAILABLE"
    http_status = 503


class ReportPDF(FPDF):
    """An A4 document in DejaVu Sans whose footer reads "<note>   Page n of N"."""

    def __init__(self, footer_note: str):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.footer_note = footer_note
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN)
        _add_fonts(self)
        self.set_font(FONT, size=10)

    def footer(self) -> None:
        """Print the footer note and "Page n of N" ({nb} is replaced by fpdf2 when the document ends)."""
        self.set_y(-10)
        self.set_font(FONT, size=7)
        self.set_text_color(*GREY)
        self.cell(self.epw * 0.75, 4, fit_text(self, self.footer_note, self.epw * 0.75))
        self.cell(0, 4, f"Page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(0)


def _add_fonts(pdf: FPDF) -> None:
    for style, name in FONT_FILES.items():
        path = FONT_DIR / name
        if not path.is_file():
            raise ReportFontUnavailable(f"PDF reports need the DejaVu fonts ({path} is missing). Install them with "
                                        "`apt-get install -y fonts-dejavu-core` (as root), or run `make run` / "
                                        "`make test`, which install them.")
        pdf.add_font(FONT, style=style, fname=str(path))


def heading(pdf: FPDF, text: str, size: float = 13) -> None:
    """A bold heading on its own line, with a little space above."""
    pdf.ln(3)
    pdf.set_font(FONT, "B", size)
    pdf.multi_cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=10)
    pdf.ln(1)


def paragraph(pdf: FPDF, text: str, size: float = 10, style: str = "", colour=(0, 0, 0)) -> None:
    """A wrapped paragraph the full width of the page."""
    pdf.set_font(FONT, style, size)
    pdf.set_text_color(*colour)
    pdf.multi_cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0)
    pdf.set_font(FONT, size=10)


def field(pdf: FPDF, label: str, value: str, link: str | None = None) -> None:
    """One "label: value" line of the report's description; ``link`` makes the value clickable."""
    pdf.set_font(FONT, "B", 9)
    pdf.cell(32, 5, label)
    pdf.set_font(FONT, "U" if link else "", 9)
    pdf.set_text_color(*(LINK_BLUE if link else (0, 0, 0)))
    pdf.multi_cell(0, 5, value, link=link, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0)


def fit_text(pdf: FPDF, text: str, width: float) -> str:
    """``text`` cut with an ellipsis so that it fits ``width`` mm in the current font, cell padding included."""
    room = width - 2 * pdf.c_margin
    full = pdf.get_string_width(text)
    if full <= room:
        return text
    text = text[:int(len(text) * room / full) + 1]  # a first cut in proportion, then trimmed to fit
    while text and pdf.get_string_width(text + "…") > room:
        text = text[:-1]
    return text.rstrip() + "…"
