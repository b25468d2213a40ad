"""The design documents in ``docs/`` stay reachable from the code that cites them.

Code, templates and documents cite a design file by its path, optionally with a section
number (``docs/architecture.md §3``). Every such reference must name a file that exists and,
with a number, a heading that carries it. Links between the documents must resolve, every
decision record must be listed in the docs index, and no reference to the former design
file outside the repository may remain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
DOCS = ROOT / "docs"
SKIPPED_DIRS = {".venv", ".local", ".git", "node_modules", "staticfiles", "__pycache__"}
SCANNED_SUFFIXES = {".py", ".html", ".md"}
# Files without one of those suffixes that also cite the docs.
SCANNED_NAMES = {".importlinter"}

SECTION = r"§\s*\d+(?:\.\d+)*"
# A path starting at ``docs/`` (not inside another path), then any sections: "§4", "§4, §7".
REFERENCE = re.compile(
    r"(?<![\w./-])docs/(?P<path>(?:[\w-]+/)*[\w.-]+\.md)"
    rf"(?P<sections>(?:\s*,?\s*{SECTION})*)"
)
NUMBER = re.compile(r"\d+(?:\.\d+)*")
# The design file that lived outside the repository, cited by section.
FORMER_DESIGN = re.compile("DESIGN" + r"(?:\.md)?\s*§")
# A relative Markdown link: [text](target) or [text](target#anchor).
LINK = re.compile(r"\]\((?P<target>[^)\s#]+)(?:#[^)\s]*)?\)")


@dataclass(frozen=True)
class Reference:
    source: Path
    line: int
    path: str
    sections: tuple[str, ...]

    def where(self) -> str:
        return f"{self.source.relative_to(ROOT)}:{self.line}"


def scanned_files() -> list[Path]:
    """The project's Python, template and Markdown files (and ``.importlinter``)."""
    found = []
    for path in ROOT.rglob("*"):
        parts = path.relative_to(ROOT).parts
        if any(part in SKIPPED_DIRS for part in parts[:-1]):
            continue
        if path.is_file() and (path.suffix in SCANNED_SUFFIXES or path.name in SCANNED_NAMES):
            found.append(path)
    return sorted(found)


def references(files) -> list[Reference]:
    """Every ``docs/<path>.md`` reference in ``files``, with its section numbers."""
    found = []
    for source in files:
        text = source.read_text(encoding="utf-8", errors="replace")
        for match in REFERENCE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            sections = tuple(NUMBER.findall(match.group("sections")))
            found.append(Reference(source, line, match.group("path"), sections))
    return found


def heading_numbers(document: Path) -> list[str]:
    """Section numbers of the Markdown headings of ``document``, in order: "## 3. Tenancy"
    gives "3", "### 3.1 The scope" gives "3.1"."""
    numbers = []
    for line in document.read_text(encoding="utf-8").splitlines():
        match = re.match(r"#{1,6}\s+(\d+(?:\.\d+)*)\.?\s", line)
        if match:
            numbers.append(match.group(1))
    return numbers


@pytest.fixture(scope="module")
def files():
    return scanned_files()


def test_the_scanner_finds_references_and_sections(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""See docs/architecture.md §3 and docs/architecture.md §4, §7.\n'
        'Also docs/decisions/0001-row-level-tenancy.md, not /api/docs/ nor x/docs/y.md."""\n'
    )
    found = [(r.path, r.sections) for r in references([sample])]
    assert found == [
        ("architecture.md", ("3",)),
        ("architecture.md", ("4", "7")),
        ("decisions/0001-row-level-tenancy.md", ()),
    ]
    assert FORMER_DESIGN.search("the rule of " + "DESIGN" + " §3")
    assert FORMER_DESIGN.search("DESIGN" + ".md §4")
    assert not FORMER_DESIGN.search("the design of §3")


def test_the_code_cites_the_docs(files):
    """The architecture is cited from the code, so the check below is not vacuous."""
    cited = {r.path for r in references(files) if not r.source.is_relative_to(DOCS)}
    assert "architecture.md" in cited


def test_every_docs_reference_names_an_existing_file_and_section(files):
    broken = []
    for reference in references(files):
        document = DOCS / reference.path
        if not document.is_file():
            broken.append(f"{reference.where()}: docs/{reference.path} does not exist")
            continue
        numbers = heading_numbers(document)
        for section in reference.sections:
            if section not in numbers:
                broken.append(
                    f"{reference.where()}: docs/{reference.path} has no section §{section}"
                )
    assert not broken, "\n".join(broken)


def test_no_reference_to_the_former_design_file_remains(files):
    left = []
    for source in files:
        for number, line in enumerate(source.read_text(errors="replace").splitlines(), 1):
            if FORMER_DESIGN.search(line):
                left.append(f"{source.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not left, "cite docs/<file>.md §N instead:\n" + "\n".join(left)


def test_links_between_the_docs_resolve():
    broken = []
    for document in sorted(DOCS.rglob("*.md")):
        text = document.read_text(encoding="utf-8")
        for match in LINK.finditer(text):
            target = match.group("target")
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (document.parent / target).exists():
                broken.append(f"{document.relative_to(ROOT)}: link to {target}")
    assert not broken, "\n".join(broken)


def test_no_two_sections_share_a_number():
    """A citation must name one place: section numbers are unique within a document."""
    for document in sorted(DOCS.rglob("*.md")):
        numbers = heading_numbers(document)
        repeated = sorted({n for n in numbers if numbers.count(n) > 1})
        assert not repeated, (document.relative_to(ROOT), repeated)


def test_every_decision_record_is_listed_in_the_index():
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    records = sorted(p.name for p in (DOCS / "decisions").glob("[0-9][0-9][0-9][0-9]-*.md"))
    assert records
    missing = [name for name in records if f"decisions/{name}" not in index]
    assert not missing, missing


def test_the_indicators_glossary_is_the_registrys():
    """docs/indicators.md is generated from the indicators' own definitions: a definition
    changed in an app's ``indicators.py`` must be regenerated into the docs
    (``manage.py indicators_glossary > docs/indicators.md``)."""
    from alize.management.commands.indicators_glossary import glossary_markdown

    kept = (ROOT / "docs" / "indicators.md").read_text(encoding="utf-8")
    assert kept == glossary_markdown()
