"""The register shown by the product and docs/personal-data.md agree: one section per
processing, under its key; every declared kind of person is documented and has retention
or says why not."""

from pathlib import Path

from django.conf import settings

from alize.personal_data.register import REGISTER, register_entries
from alize.personal_data.registry import KEPT_TABLES, KINDS

DOC = (Path(settings.BASE_DIR) / "docs" / "personal-data.md").read_text()


def test_every_processing_of_the_register_has_its_section_and_the_other_way_round():
    documented = {
        line.rsplit("(`", 1)[1].rstrip("`)") for line in DOC.splitlines() if line.startswith("### ")
    }
    assert documented == {entry.key for entry in REGISTER}


def test_the_retention_period_is_the_setting(settings):
    settings.RETENTION_YEARS = 7
    assert all("%(" not in entry["retention"] for entry in register_entries())
    assert "7 ans" in register_entries()[0]["retention"]


def test_the_declared_kinds_and_kept_tables():
    assert set(KINDS) == {"sme_contact", "expert", "user"}
    assert {key for key, kind in KINDS.items() if kind.retention} == set(KINDS)
    assert set(KEPT_TABLES) == {"loans_journaltransaction", "loans_ledgerline"}
    for path in ("pme/personal_data.py", "missions/personal_data.py", "loans/personal_data.py"):
        assert path in DOC
