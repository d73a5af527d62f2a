"""Weekly availability windows: validation and merging. Pure: standard library only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from itertools import groupby


@dataclass(frozen=True, order=True)
class Window:
    """A weekly window in local time; ``valid_from``/``valid_until`` bound it by date (inclusive)."""

    weekday: int
    starts: dt.time
    ends: dt.time
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None

    def problems(self) -> list[str]:
        """Codes of what is wrong with this window: 'weekday', 'order', 'validity'."""
        found = []
        if not 0 <= self.weekday <= 6:
            found.append("weekday")
        if self.ends <= self.starts:
            found.append("order")
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            found.append("validity")
        return found


def merge(windows: list[Window]) -> list[Window]:
    """Merge windows that overlap or touch on the same weekday and with the same validity."""

    def validity(window: Window):
        return (window.weekday, window.valid_from or dt.date.min, window.valid_until or dt.date.max)

    merged: list[Window] = []
    for _key, group in groupby(sorted(windows, key=lambda w: (validity(w), w.starts, w.ends)), key=validity):
        current: Window | None = None
        for window in group:
            if current is not None and window.starts <= current.ends:
                current = Window(current.weekday, current.starts, max(current.ends, window.ends),
                                 current.valid_from, current.valid_until)
            else:
                if current is not None:
                    merged.append(current)
                current = window
        merged.append(current)
    return sorted(merged, key=lambda w: (w.weekday, w.starts, w.valid_from or dt.date.min))


def ranges_overlap(a_start: dt.date, a_end: dt.date, b_start: dt.date, b_end: dt.date) -> bool:
    """Inclusive date ranges overlap."""
    return a_start <= b_end and b_start <= a_end
