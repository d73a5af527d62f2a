"""Reading a volunteer list from CSV: bytes in, rows with their format errors out. No database."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email

from lotsen import languages as catalogue
from lotsen.auth.models import User
from lotsen.auth.services import normalize_email
from lotsen.errors import DomainError
from lotsen.forms import unsafe_text
from lotsen.i18n import _, supported_locales
from lotsen.languages import LanguageLevel
from lotsen.volunteers.models import Mode

MAX_BYTES = 2 * 1024 * 1024
# Creating a volunteer takes about 8 ms (SQLite): 2,000 new ones stay well inside a worker's 30 s timeout.
MAX_ROWS = 2000

# Each column with its German header; headers match without regard to case, spaces, hyphens or umlauts.
COLUMNS = {
    "email": "E-Mail", "name": "Name", "phone": "Telefon", "postcode": "PLZ", "municipality": "Ort",
    "radius_km": "Umkreis_km", "languages": "Sprachen", "roles": "Rollen", "modes": "Einsatzarten",
    "german_level": "Deutschniveau", "declaration_signed_on": "Verschwiegenheitserklaerung",
    "certificate_checked_on": "Fuehrungszeugnis", "basic_training_on": "Basisschulung", "locale": "Sprache_UI",
}
REQUIRED = ("email", "name")
# Account data: used when the volunteer is created; an existing account keeps what its owner chose.
ACCOUNT_COLUMNS = ("email", "name", "locale")
PROFILE_COLUMNS = tuple(name for name in COLUMNS if name not in ACCOUNT_COLUMNS)


def _key(header: str) -> str:
    text = header.strip().casefold()
    for umlaut, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(umlaut, spelled)
    return re.sub(r"[\s\-]+", "_", text)


ALIASES = {_key(name): name for name in COLUMNS} | {_key(german): name for name, german in COLUMNS.items()}


class ImportFileError(DomainError):
    """The file as a whole cannot be used (size, encoding, header row)."""


class ImportRefused(DomainError):
    """At least one row has an error, so nothing was imported."""

    def __init__(self, rows: list[Row]):
        super().__init__(_("Nothing was imported: correct the rows marked with errors and upload the file again."))
        self.rows = rows


@dataclass(frozen=True)
class Language:
    code: str
    level: str
    varieties: tuple[str, ...] = ()


@dataclass
class Fields:
    """What a row says; None means an empty cell, which leaves the stored value as it is."""

    email: str = ""
    name: str = ""
    phone: str | None = None
    postcode: str | None = None
    municipality: str | None = None
    radius_km: int | None = None
    languages: frozenset[Language] | None = None
    roles: frozenset[str] | None = None
    modes: frozenset[str] | None = None
    german_level: str | None = None
    declaration_signed_on: dt.date | None = None
    certificate_checked_on: dt.date | None = None
    basic_training_on: dt.date | None = None
    locale: str | None = None


@dataclass
class Row:
    line: int
    cells: dict[str, str]
    fields: Fields
    headers: dict[str, str]  # column -> its header as written in the file, for messages
    file_errors: list[str] = field(default_factory=list)
    found_errors: list[str] = field(default_factory=list)
    action: str = ""
    changed: list[str] = field(default_factory=list)
    user: User | None = None
    municipality_id: int | None = None

    @property
    def errors(self) -> list[str]:
        return self.file_errors + self.found_errors

    def column(self, name: str) -> str:
        return self.headers.get(name, name)


@dataclass
class Sheet:
    rows: list[Row]
    ignored: list[str]

    @property
    def has_errors(self) -> bool:
        return any(row.errors for row in self.rows)

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)


# Cell parsers: the value, or ValueError with a message that the row's error puts after the column name.

def _clean(cell: str) -> str:
    """Strip a cell and undo the quote our own export puts before formula-like text; all cells stay text."""
    text = cell.strip()
    return text[1:] if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@") else text


def _text(limit: int):
    def parse(text: str) -> str:
        if len(text) > limit:
            raise ValueError(_("Use at most %(n)d characters.", n=limit))
        if unsafe_text(text):  # control characters, or bidi controls that make a name display as another
            raise ValueError(_("This field contains characters that are not allowed."))
        return text
    return parse


def _email(text: str) -> str:
    try:
        validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise ValueError(_("%(value)s is not a valid email address.", value=text)) from None
    return normalize_email(_text(254)(text))


def _postcode(text: str) -> str:
    if not re.fullmatch(r"[0-9]{5}", text):
        raise ValueError(_("A postcode has five digits."))
    return text


def _radius(text: str) -> int:
    if not re.fullmatch(r"[0-9]{1,3}", text) or int(text) > 150:
        raise ValueError(_("Enter a whole number of kilometres from 0 to 150."))
    return int(text)


def _level(text: str) -> str:
    if text.lower() not in {level.value for level in LanguageLevel}:
        raise ValueError(_("%(value)s is not a level; use native, fluent, good or basic.", value=text))
    return text.lower()


def _languages(text: str) -> frozenset[Language] | None:
    entries: dict[str, Language] = {}
    for item in filter(None, (part.strip() for part in re.split(r"[;,]", text))):
        parts = [part.strip() for part in item.split(":")]
        if len(parts) not in (2, 3):
            raise ValueError(_("Write each language as language:level or language:level:variety, "
                               "for example ar:native:apc."))
        code = catalogue.resolve(parts[0])
        if code is None:
            raise ValueError(_("%(value)s is not a language in the catalogue.", value=parts[0]))
        if code in entries:
            raise ValueError(_("%(language)s is listed twice.", language=catalogue.name(code)))
        varieties = sorted({v.strip().lower() for v in parts[2].split("+") if v.strip()} if len(parts) == 3 else [])
        allowed = {variety for variety, _label in catalogue.varieties(code)}
        for variety in varieties:
            if variety not in allowed:
                raise ValueError(_("%(value)s is not a variety of %(language)s.", value=variety,
                                   language=catalogue.name(code)))
        entries[code] = Language(code, _level(parts[1]), tuple(varieties))
    return frozenset(entries.values()) or None


def _choices(allowed: set[str], message):
    def parse(text: str) -> frozenset[str] | None:
        chosen = {part.lower() for part in re.split(r"[+,;/\s]+", text) if part}
        if chosen - allowed:
            raise ValueError(message())
        return frozenset(chosen) or None
    return parse


def _date(today: dt.date):
    def parse(text: str) -> dt.date:
        german = re.fullmatch(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})", text)
        try:
            if german:
                day = dt.date(int(german[3]), int(german[2]), int(german[1]))
            elif re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
                day = dt.date.fromisoformat(text)
            else:
                raise ValueError
        except ValueError:
            raise ValueError(_("%(value)s is not a date; write YYYY-MM-DD or DD.MM.YYYY.", value=text)) from None
        if day > today:
            raise ValueError(_("The date must not lie in the future."))
        return day
    return parse


def _locale(text: str) -> str:
    if text.lower() not in supported_locales():
        raise ValueError(_("Use one of: %(choices)s.", choices=", ".join(supported_locales())))
    return text.lower()


def _parsers(today: dt.date) -> dict:
    return {
        "email": _email, "name": _text(200), "phone": _text(50), "postcode": _postcode,
        "municipality": _text(120), "radius_km": _radius, "languages": _languages,
        "roles": _choices({"guide", "interpreter"}, lambda: _("Use guide, interpreter or guide+interpreter.")),
        "modes": _choices({m.value for m in Mode}, lambda: _("Use on_site, phone and video, joined by +.")),
        "german_level": _level, "declaration_signed_on": _date(today), "certificate_checked_on": _date(today),
        "basic_training_on": _date(today), "locale": _locale,
    }


def parse(data: bytes, *, today: dt.date) -> Sheet:
    """Read the file and check each row's format; raises ImportFileError if the file as a whole is unusable."""
    if len(data) > MAX_BYTES:
        raise ImportFileError(_("The file is larger than %(mb)d MB. Please split it into several files.",
                                mb=MAX_BYTES // (1024 * 1024)), "file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(_("The file is not saved as UTF-8. In your spreadsheet program, choose "
                                "“CSV UTF-8” when saving."), "file") from None
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records = []
    try:
        header = next(reader, [])
        line = reader.line_num + 1
        for cells in reader:
            if any(cell.strip() for cell in cells):
                records.append((line, cells))
            if len(records) > MAX_ROWS:
                raise ImportFileError(_("The file has more than %(n)d rows. Please split it into several files.",
                                        n=MAX_ROWS), "file")
            line = reader.line_num + 1
    except csv.Error:
        raise ImportFileError(_("The file cannot be read as CSV (line %(line)d).", line=reader.line_num),
                              "file") from None
    headers, positions, ignored = _header(header)
    if not records:
        raise ImportFileError(_("The file contains no volunteers below its header row."), "file")
    parsers = _parsers(today)
    rows = [_row(line, cells, headers, positions, len(header), delimiter, parsers) for line, cells in records]
    first_line_of: dict[str, int] = {}
    for row in rows:
        email = row.fields.email
        if email and email in first_line_of:
            row.file_errors.append(_("%(column)s: this address is already in line %(line)d.",
                                     column=row.column("email"), line=first_line_of[email]))
        first_line_of.setdefault(email, row.line)
    return Sheet(rows, ignored)


def _header(header: list[str]) -> tuple[dict[str, str], dict[str, int], list[str]]:
    headers: dict[str, str] = {}
    positions: dict[str, int] = {}
    ignored: list[str] = []
    for index, title in enumerate(cell.strip() for cell in header):
        name = ALIASES.get(_key(title))
        if name is None:
            if title:
                ignored.append(title)
        elif name in headers:
            raise ImportFileError(_("The columns %(first)s and %(second)s mean the same; keep one of them.",
                                    first=headers[name], second=title), "file")
        else:
            headers[name] = title
            positions[name] = index
    missing = [name for name in REQUIRED if name not in headers]
    if missing:
        raise ImportFileError(_("The first row must name the columns; %(columns)s are missing.",
                                columns=", ".join(missing)), "file")
    return headers, positions, ignored


def _row(line: int, raw: list[str], headers: dict[str, str], positions: dict[str, int], width: int,
         delimiter: str, parsers: dict) -> Row:
    cells = {name: _clean(raw[index]) if index < len(raw) else "" for name, index in positions.items()}
    row = Row(line, cells, Fields(), headers)
    if any(cell.strip() for cell in raw[width:]):
        row.file_errors.append(_("This line has more cells than the header row. Put cells that contain "
                                 "%(delimiter)s in double quotes.", delimiter=delimiter))
    for name, text in cells.items():
        if not text:
            if name in REQUIRED:
                row.file_errors.append(_("%(column)s: this cell must not be empty.", column=headers[name]))
            continue
        try:
            setattr(row.fields, name, parsers[name](text))
        except ValueError as problem:
            row.file_errors.append(_("%(column)s: %(problem)s", column=headers[name], problem=str(problem)))
    return row
