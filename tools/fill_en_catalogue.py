"""Fill untranslated entries of the English catalogue with their (English) source text.

Run after `make i18n-update`; the German catalogue is translated by hand.
"""

from babel.messages.pofile import read_po, write_po

PATH = "lotsen/translations/en/LC_MESSAGES/messages.po"

with open(PATH, "rb") as handle:
    catalogue = read_po(handle, locale="en")
for message in catalogue:
    if not message.id:
        continue
    if isinstance(message.id, tuple):
        if not all(message.string):
            message.string = (message.id[0], message.id[1])
    elif not message.string:
        message.string = message.id
    message.flags.discard("fuzzy")
with open(PATH, "wb") as handle:
    write_po(handle, catalogue, width=76)
