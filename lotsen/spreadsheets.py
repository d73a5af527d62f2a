"""CSV for German spreadsheets: UTF-8 with a byte-order mark, semicolons, no cell that runs as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable


def safe_cell(value) -> str:
    """A cell that spreadsheet programs will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_text(rows: Iterable[Iterable]) -> str:
    """Rows as CSV text that opens cleanly in German spreadsheets."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return buffer.getvalue()
