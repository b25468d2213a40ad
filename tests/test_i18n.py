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
