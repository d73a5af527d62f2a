"""The messages of the pages and mails a volunteer or an anonymous visitor sees.

Every enabled interface language must translate these (a test checks); coordinator and admin pages may stay
German and English. ``VOLUNTEER_SOURCES`` names the files they come from; a new volunteer page or mail goes
in here.

    .venv/bin/python tools/volunteer_strings.py [LOCALE]    # count, or list what LOCALE still lacks
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = ROOT / "lotsen" / "translations"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None,
            "lazy_ngettext": (1, 2)}

VOLUNTEER_SOURCES = {
    "python": [
        "lotsen/auth/*.py", "lotsen/volunteers/forms.py", "lotsen/volunteers/models.py",
        "lotsen/volunteers/services.py", "lotsen/volunteers/views.py", "lotsen/volunteers/availability*.py",
        "lotsen/volunteers/privacy*.py",
        "lotsen/assignments/answers.py", "lotsen/assignments/calendar.py", "lotsen/assignments/forms.py",
        "lotsen/assignments/volunteer_views.py", "lotsen/assignments/links.py", "lotsen/assignments/changes.py",
        "lotsen/assignments/lifecycle.py", "lotsen/assignments/models.py", "lotsen/billing/models.py",
        "lotsen/billing/records.py", "lotsen/billing/forms.py", "lotsen/billing/explain.py",
        "lotsen/billing/lifecycle.py", "lotsen/billing/documents.py",
        "lotsen/notifications/kinds.py", "lotsen/notifications/views.py", "lotsen/notifications/mail.py",
        "lotsen/languages.py", "lotsen/forms.py", "lotsen/web.py", "lotsen/errors.py", "lotsen/enums.py",
        "lotsen/requests/models.py", "lotsen/home/views.py", "lotsen/geo/forms.py",
    ],
    "jinja2": [
        "templates/base.html", "templates/macros/*.html", "templates/errors/*.html", "templates/auth/*.html",
        "templates/home/volunteer.html", "templates/home/_profile_card.html", "templates/home/pending.html",
        "templates/volunteers/_step_form.html", "templates/volunteers/_steps.html",
        "templates/volunteers/availability.html", "templates/volunteers/basics.html",
        "templates/volunteers/deletion.html", "templates/volunteers/languages.html",
        "templates/volunteers/limits.html", "templates/volunteers/place.html", "templates/volunteers/profile.html",
        "templates/assignments/offer.html", "templates/assignments/assignment.html",
        "templates/assignments/link_error.html", "templates/assignments/withdraw.html",
        "templates/billing/_facts.html", "templates/billing/record.html", "templates/billing/record_form.html",
        "templates/billing/records.html", "templates/billing/confirm.html", "templates/billing/payout_details.html",
        "templates/notifications/preferences.html",
        "templates/mail/**/*.txt",
    ],
}


def volunteer_messages() -> set:
    """The msgids (a tuple for plural forms) of the volunteer pages and mails."""
    found = set()
    for method, patterns in VOLUNTEER_SOURCES.items():
        for pattern in patterns:
            files = sorted(ROOT.glob(pattern))
            if not files:
                raise FileNotFoundError(pattern)
            for path in files:
                for _line, message, _comments, _context in extract_from_file(method, str(path), keywords=KEYWORDS):
                    found.add(message if isinstance(message, str) else tuple(message[:2]))
    return found


def missing(locale: str) -> list:
    """The volunteer messages that ``locale``'s catalogue does not translate (or only as fuzzy)."""
    with open(CATALOGUES / locale / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalogue = read_po(handle, locale=locale)
    wanted = volunteer_messages()
    done = set()
    for message in catalogue:
        key = message.id if isinstance(message.id, str) else tuple(message.id[:2])
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if key in wanted and all(strings) and "fuzzy" not in message.flags:
            done.add(key)
    return sorted(wanted - done, key=str)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        for key in missing(sys.argv[1]):
            print(repr(key))
    else:
        print(len(volunteer_messages()), "messages on the volunteer pages and in mails")
