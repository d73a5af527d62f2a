"""Charts as SVG drawn on the server (pygal), in the house colours and the page's language, without script.

The page shows each chart as an image with a text alternative, and the same figures in the table beside it.
"""

from __future__ import annotations

import re

import pygal
from pygal.style import Style

from lotsen.reports.sections import Suppressed, Table

COLOURS = ("#1d4e89", "#b3541e", "#3c7a3c", "#7a3c7a", "#8a6d00", "#4a4a4a")  # dark enough on white (AA)
STYLE = Style(background="white", plot_background="white", foreground="#1b1b1b", foreground_strong="#1b1b1b",
              foreground_subtle="#555555", colors=COLOURS, font_family="sans-serif", label_font_size=13,
              major_label_font_size=13, legend_font_size=14, title_font_size=16, value_font_size=12)
MAX_BARS = 20
SCRIPT = re.compile(r"<script\b.*?</script>", re.S)


def _value(value, kind: str):
    if value is None or isinstance(value, Suppressed):
        return None
    return round(value * 100, 1) if kind == "percent" else round(float(value), 2)


def svg(table: Table) -> str:
    """The table's chart: bars per row (the first ``MAX_BARS``), one series per charted column."""
    label_key, *series = table.chart
    kinds = {c.key: c.kind for c in table.columns}
    titles = {c.key: c.heading for c in table.columns}
    rows = table.rows[:MAX_BARS]
    chart_class = pygal.StackedBar if table.stacked else pygal.Bar
    chart = chart_class(style=STYLE, js=[], disable_xml_declaration=True, width=800, height=420,
                        show_legend=len(series) > 1, legend_at_bottom=True, x_label_rotation=30 if len(rows) > 6
                        else 0, truncate_label=24, print_values=False, include_x_axis=True, explicit_size=False)
    chart.title = str(table.title)
    chart.x_labels = [str(row[label_key]) for row in rows]
    for key in series:
        chart.add(titles[key], [_value(row.get(key), kinds[key]) for row in rows])
    # pygal writes its configuration as a script even without interactivity: the chart needs none.
    return SCRIPT.sub("", chart.render(is_unicode=True))


def describe(table: Table) -> str:
    """The chart in words, for its text alternative."""
    label_key, *series = table.chart
    titles = {c.key: c.heading for c in table.columns}
    return f"{table.title}: " + ", ".join(titles[key] for key in series) + f" ({titles[label_key]})"
