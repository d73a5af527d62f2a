"""Fill German msgstrs from a JSON file of {msgid: msgstr} (plural msgids as "singular||plural" -> [s, p])."""

import json
import sys

from babel.messages.pofile import read_po, write_po

PO = "lotsen/translations/de/LC_MESSAGES/messages.po"


def main(path: str) -> None:
    table = json.load(open(path, encoding="utf-8"))
    with open(PO, "rb") as f:
        catalogue = read_po(f)
    missing = []
    for message in catalogue:
        if not message.id or (message.string and not message.fuzzy and
                              (isinstance(message.string, str) or all(message.string))):
            continue
        key = message.id if isinstance(message.id, str) else "||".join(message.id)
        if key in table:
            value = table[key]
            message.string = tuple(value) if isinstance(value, list) else value
            message.flags.discard("fuzzy")
        else:
            missing.append(key)
    with open(PO, "wb") as f:
        write_po(f, catalogue, width=76)
    print("still untranslated:", missing)


if __name__ == "__main__":
    main(sys.argv[1])
