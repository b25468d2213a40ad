"""Write the French catalogue of plural forms from the English one.

The source strings are French, so French needs no translation, except for one thing:
gettext's fallback treats 0 as plural (« 0 dossiers »), while French treats 0 and 1 as
singular. This catalogue gives every plural string back to itself under the French rule.
"""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand

FRENCH_PLURAL_FORMS = "nplurals=2; plural=(n > 1);"


def french_plurals_catalogue(english: polib.POFile) -> polib.POFile:
    """Every plural entry of ``english``, its msgstr being the French source itself."""
    french = polib.POFile()
    french.metadata = {
        "Content-Type": "text/plain; charset=UTF-8",
        "Language": "fr",
        "Plural-Forms": FRENCH_PLURAL_FORMS,
    }
    for entry in english:
        if entry.msgid_plural and not entry.obsolete:
            french.append(
                polib.POEntry(
                    msgctxt=entry.msgctxt,
                    msgid=entry.msgid,
                    msgid_plural=entry.msgid_plural,
                    msgstr_plural={0: entry.msgid, 1: entry.msgid_plural},
                )
            )
    return french


class Command(BaseCommand):
    help = "Write locale/fr/LC_MESSAGES/django.po: the plural strings under the French rule."

    def handle(self, *args, **options):
        root = Path(settings.BASE_DIR) / "locale"
        english = polib.pofile(str(root / "en" / "LC_MESSAGES" / "django.po"))
        target = root / "fr" / "LC_MESSAGES" / "django.po"
        target.parent.mkdir(parents=True, exist_ok=True)
        catalogue = french_plurals_catalogue(english)
        catalogue.save(str(target))
        self.stdout.write(f"{len(catalogue)} plural strings written to {target}.")
