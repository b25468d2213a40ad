"""The quorum of a committee, per dossier: the dispositif's rule (``quorum_organisations``,
``quorum_needs_firm``, ``quorum_needs_public``) checked against the organisations seated at
the table (present or represented) once the organisations recused for the dossier (an
interest declared) are taken out. Pure: the rows are loaded by ``committees.selectors``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from partners.models import OrganisationKind


@dataclass(frozen=True)
class QuorumRule:
    organisations: int
    needs_firm: bool
    needs_public: bool

    @classmethod
    def of(cls, dispositif) -> QuorumRule:
        return cls(
            organisations=dispositif.quorum_organisations,
            needs_firm=dispositif.quorum_needs_firm,
            needs_public=dispositif.quorum_needs_public,
        )


@dataclass
class DossierQuorum:
    """Whether a dossier may be decided: who sits for it, who is recused, what is missing."""

    rule: QuorumRule
    sitting: list = field(default_factory=list)  # organisations present and not recused
    recused: list = field(default_factory=list)  # organisations with a declared interest
    missing: list[str] = field(default_factory=list)

    @property
    def holds(self) -> bool:
        return not self.missing

    @property
    def missing_text(self) -> str:
        """What is missing, in the language of the page (« ; » in French, "; " in English)."""
        return _(" ; ").join(self.missing)

    def refusal(self, title: str) -> str:
        text = _("Quorum non atteint pour « %(title)s » : %(missing)s.") % {
            "title": title,
            "missing": self.missing_text,
        }
        if self.recused:
            text += " " + _("Récusés : %(names)s.") % {
                "names": ", ".join(org.name for org in self.recused)
            }
        return text


def dossier_quorum(rule: QuorumRule, seated: Iterable, recused: Iterable) -> DossierQuorum:
    """The quorum of one dossier: ``seated`` are the organisations present or represented at
    the meeting, ``recused`` those with an interest declared in this dossier."""
    recused = sorted(recused, key=lambda org: org.name)
    recused_ids = {org.pk for org in recused}
    sitting = sorted((org for org in seated if org.pk not in recused_ids), key=lambda o: o.name)
    missing = []
    if len(sitting) < rule.organisations:
        missing.append(
            ngettext(
                "%(count)s organisation membre présente et non récusée sur %(required)s requises",
                "%(count)s organisations membres présentes et non récusées sur %(required)s "
                "requises",
                len(sitting),
            )
            % {"count": len(sitting), "required": rule.organisations}
        )
    kinds = {org.kind for org in sitting}
    if rule.needs_firm and OrganisationKind.LARGE_FIRM not in kinds:
        missing.append(_("aucune entreprise partenaire présente et non récusée"))
    if rule.needs_public and OrganisationKind.PUBLIC_BODY not in kinds:
        missing.append(_("aucun organisme public présent et non récusé"))
    return DossierQuorum(rule=rule, sitting=sitting, recused=recused, missing=missing)
