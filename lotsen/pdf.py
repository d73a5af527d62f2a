"""PDF documents (fpdf2): Noto Sans (Latin, Cyrillic, Greek) with fallbacks for Arabic and Ethiopic script where
a document needs them (lotsen/fonts, SIL Open Font License), and then text shaped with HarfBuzz, so that names
written right to left or in Ge'ez come out as they are written."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

FONTS = Path(__file__).resolve().parent / "fonts"


def _needs(texts, low: int, high: int) -> bool:
    return any(low <= ord(char) <= high for text in texts for char in text)


def document(title: str, texts: list[str], *, landscape: bool = False) -> FPDF:
    """A new A4 document with its title (upright, or ``landscape`` for wide tables); the Arabic and Ethiopic
    fallbacks are embedded only when ``texts`` (the names and words it will show) need them."""
    pdf = FPDF(orientation="L" if landscape else "P", format="A4")
    pdf.set_title(title)
    pdf.set_creator("Lotsen")
    pdf.add_font("noto", "", FONTS / "NotoSans-Regular.ttf")
    pdf.add_font("noto", "B", FONTS / "NotoSans-Bold.ttf")
    fallbacks = []
    if _needs(texts, 0x0600, 0x06FF) or _needs(texts, 0x0750, 0x077F) or _needs(texts, 0xFB50, 0xFEFF):
        pdf.add_font("arabic", "", FONTS / "NotoSansArabic-Regular.ttf")
        fallbacks.append("arabic")
    if _needs(texts, 0x1200, 0x139F) or _needs(texts, 0x2D80, 0x2DDF) or _needs(texts, 0xAB00, 0xAB2F):
        pdf.add_font("ethiopic", "", FONTS / "NotoSansEthiopic-Regular.ttf")
        fallbacks.append("ethiopic")
    if fallbacks:
        pdf.set_fallback_fonts(fallbacks, exact_match=False)
        pdf.set_text_shaping(True)  # HarfBuzz: joined Arabic letters, right-to-left runs in their order
    pdf.set_auto_page_break(True, margin=18)
    new_page(pdf, title)
    return pdf


def new_page(pdf: FPDF, title: str) -> None:
    pdf.add_page()
    pdf.set_font("noto", "B", 15)
    pdf.multi_cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("noto", "", 10)


def paragraph(pdf: FPDF, text: str, *, bold: bool = False, size: int = 10) -> None:
    pdf.set_font("noto", "B" if bold else "", size)
    pdf.multi_cell(0, 5.5, text, new_x="LMARGIN", new_y="NEXT")
