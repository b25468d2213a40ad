"""French is the reference language; the English catalogue must be complete and current."""

import shutil
from pathlib import Path

import polib
from django.conf import settings
from django.core.management import call_command

PO_FILE = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
IGNORED = [".venv/*", ".local/*", "staticfiles/*", "tests/*", "node_modules/*"]


def untranslated(po) -> list[str]:
    missing = []
    for entry in po:
        if entry.obsolete:
            continue
        translated = all(entry.msgstr_plural.values()) if entry.msgid_plural else entry.msgstr
        if not translated or "fuzzy" in entry.flags:
            missing.append(entry.msgid)
    return missing


def test_english_catalogue_is_complete():
    assert untranslated(polib.pofile(str(PO_FILE))) == []


def test_english_catalogue_holds_every_string_of_the_code(tmp_path):
    """Re-extract the strings (GNU gettext's xgettext) and compare with the committed file."""
    saved = tmp_path / "django.po"
    shutil.copy(PO_FILE, saved)
    try:
        call_command(
            "makemessages",
            locale=["en"],
            ignore_patterns=IGNORED,
            no_location=True,
            no_obsolete=True,
            verbosity=0,
        )
        extracted = {e.msgid for e in polib.pofile(str(PO_FILE)) if not e.obsolete}
    finally:
        shutil.copy(saved, PO_FILE)
    committed = {e.msgid for e in polib.pofile(str(PO_FILE)) if not e.obsolete}
    assert sorted(extracted - committed) == [], "run `make messages` and translate the new strings"


def test_french_catalogue_gives_every_plural_string_the_french_rule():
    """0 is singular in French (« 0 dossier »); the French catalogue holds every plural
    string of the code under that rule (``make messages`` writes it)."""
    import polib
    from django.utils import translation
    from django.utils.translation import ngettext

    from alize.management.commands.sync_french_plurals import french_plurals_catalogue

    expected = french_plurals_catalogue(polib.pofile(str(PO_FILE)))
    french = polib.pofile(str(PO_FILE.parent.parent.parent / "fr" / "LC_MESSAGES" / "django.po"))
    assert french.metadata["Plural-Forms"] == "nplurals=2; plural=(n > 1);"
    assert [(e.msgid, e.msgid_plural, e.msgstr_plural) for e in french] == [
        (e.msgid, e.msgid_plural, e.msgstr_plural) for e in expected
    ]
    with translation.override("fr"):
        assert ngettext("%(n)s dossier", "%(n)s dossiers", 0) % {"n": 0} == "0 dossier"
        assert ngettext("%(n)s dossier", "%(n)s dossiers", 2) % {"n": 2} == "2 dossiers"
    with translation.override("en"):
        assert ngettext("%(n)s dossier", "%(n)s dossiers", 0) % {"n": 0} == "0 dossiers"
