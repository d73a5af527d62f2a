"""Fill entries of a catalogue from a dict of translations in a Python file (msgid -> msgstr).

    .venv/bin/python tools/translate_catalogue.py de translations.py

Plural entries are keyed by the (singular, plural) tuple and give a tuple of forms. Only empty or fuzzy
entries are filled; anything already translated is left as it is. Unknown keys are reported.
"""

import runpy
import sys

from babel.messages.pofile import read_po, write_po

locale, source = sys.argv[1], sys.argv[2]
path = f"lotsen/translations/{locale}/LC_MESSAGES/messages.po"
translations = runpy.run_path(source)["TRANSLATIONS"]
with open(path, "rb") as handle:
    catalogue = read_po(handle, locale=locale)
known = set()
for message in catalogue:
    if not message.id or message.id not in translations:
        continue
    known.add(message.id)
    empty = not all(message.string) if isinstance(message.id, tuple) else not message.string
    if empty or "fuzzy" in message.flags:
        message.string = translations[message.id]
        message.flags.discard("fuzzy")
with open(path, "wb") as handle:
    write_po(handle, catalogue, width=76)
unknown = [key for key in translations if key not in known]
if unknown:
    print("not in the catalogue:", *unknown, sep="\n  ")
