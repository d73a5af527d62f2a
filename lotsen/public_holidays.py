"""Public holidays of the office's Land (the ``holidays`` package, offline) and the working days they leave.

Lead times count working days: Monday to Friday, less the public holidays of the office's federal state.
24 and 31 December are working days by law, but agencies and volunteers are often away: they are flagged,
as holidays are, when a request falls on them.
"""

from __future__ import annotations

import datetime as dt
import functools

import holidays

from lotsen.enums import TitledEnum
from lotsen.i18n import _l


class FederalState(TitledEnum):
    """The sixteen Länder (ISO 3166-2:DE codes); NATIONWIDE counts only the holidays of every Land."""

    NATIONWIDE = "DE"
    BW = "BW"
    BY = "BY"
    BE = "BE"
    BB = "BB"
    HB = "HB"
    HH = "HH"
    HE = "HE"
    MV = "MV"
    NI = "NI"
    NW = "NW"
    RP = "RP"
    SL = "SL"
    SN = "SN"
    ST = "ST"
    SH = "SH"
    TH = "TH"

    @classmethod
    def titles(cls):
        return {
            cls.NATIONWIDE: _l("Only holidays of every Land"),
            cls.BW: "Baden-Württemberg", cls.BY: "Bayern", cls.BE: "Berlin", cls.BB: "Brandenburg",
            cls.HB: "Bremen", cls.HH: "Hamburg", cls.HE: "Hessen", cls.MV: "Mecklenburg-Vorpommern",
            cls.NI: "Niedersachsen", cls.NW: "Nordrhein-Westfalen", cls.RP: "Rheinland-Pfalz", cls.SL: "Saarland",
            cls.SN: "Sachsen", cls.ST: "Sachsen-Anhalt", cls.SH: "Schleswig-Holstein", cls.TH: "Thüringen",
        }


_LANGUAGES = {"de": "de", "en": "en_US", "uk": "uk"}  # what the package translates; others read German


@functools.lru_cache(maxsize=512)
def _year(state: str, year: int, language: str) -> dict[dt.date, str]:
    subdiv = None if state == FederalState.NATIONWIDE.value else state
    return dict(holidays.country_holidays("DE", subdiv=subdiv, years=year, language=language))


class HolidayCalendar:
    """The public holidays of one Land, asked by date (any year)."""

    def __init__(self, state: str = FederalState.NATIONWIDE.value) -> None:
        self.state = state if state in FederalState._value2member_map_ else FederalState.NATIONWIDE.value

    def name(self, day: dt.date, locale: str = "de") -> str | None:
        """The holiday's name in the reader's language, or None on other days."""
        return _year(self.state, day.year, _LANGUAGES.get(locale.split("_")[0], "de")).get(day)

    def __contains__(self, day: dt.date) -> bool:
        return day in _year(self.state, day.year, "de")

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and day not in self

    def flag(self, day: dt.date, locale: str = "de") -> str | None:
        """Why a request on this day deserves a second look: a public holiday, or Christmas or New Year's Eve."""
        named = self.name(day, locale)
        if named:
            return named
        if (day.month, day.day) == (12, 24):
            return str(_l("Christmas Eve"))
        if (day.month, day.day) == (12, 31):
            return str(_l("New Year's Eve"))
        return None
