"""Reads of the public door: the active dispositifs, their perimeters and public texts.

This is public information (the page of each dispositif names its communes), read for a
request that has no scope: the one read over every dispositif here states it as its
reason, and returns plain values, never rows to follow further."""

from __future__ import annotations

from dataclasses import dataclass

from alize.actions import Action
from alize.tenancy import scope
from dispositifs.models import Dispositif, DispositifStatus
from partners.reference.selectors import communes_by_code

from ..models import SelfReferral, SelfReferralStatus, Stage


@dataclass(frozen=True)
class OpenDispositif:
    """What the public door shows of an active dispositif."""

    pk: int
    name: str
    slug: str
    region_name: str
    perimeter: frozenset[str]
    communes: tuple[str, ...]
    intro: str
    contact_name: str
    contact_email: str
    contact_phone: str
    carrier: str
    advance_min: object
    advance_max: object

    def covers(self, commune_code: str) -> bool:
        return commune_code in self.perimeter


def open_dispositifs() -> list[OpenDispositif]:
    """The active dispositifs, by name, with the names of their perimeter's communes."""
    with scope(every_dispositif=True, reason="the public door lists the active dispositifs"):
        rows = list(
            Dispositif.objects.filter(status=DispositifStatus.ACTIVE)
            .select_related("carrier")
            .order_by("name")
        )
    names = {
        code: commune.name
        for code, commune in communes_by_code({c for d in rows for c in d.perimeter}).items()
    }
    return [_open(d, names) for d in rows]


def as_open(dispositif: Dispositif) -> OpenDispositif:
    """What the public door shows of one dispositif already read (in its own scope)."""
    names = {code: commune.name for code, commune in communes_by_code(dispositif.perimeter).items()}
    return _open(dispositif, names)


def _open(d: Dispositif, names: dict[str, str]) -> OpenDispositif:
    return OpenDispositif(
        pk=d.pk,
        name=d.name,
        slug=d.slug,
        region_name=d.region_name,
        perimeter=frozenset(d.perimeter),
        communes=tuple(sorted((names.get(c, c) for c in d.perimeter), key=str.casefold)),
        intro=d.public_intro,
        contact_name=d.public_contact_name,
        contact_email=d.public_contact_email,
        contact_phone=d.public_contact_phone,
        carrier=d.carrier.name if d.carrier else "",
        advance_min=d.advance_min,
        advance_max=d.advance_max,
    )


def open_dispositif(slug: str) -> OpenDispositif | None:
    """The active dispositif of ``slug``, or None."""
    return next((d for d in open_dispositifs() if d.slug == slug), None)


def covering(dispositifs: list[OpenDispositif], commune_code: str) -> list[OpenDispositif]:
    """Those of ``dispositifs`` whose perimeter holds the commune."""
    return [d for d in dispositifs if d.covers(commune_code)]


def self_referrals_to_qualify(user):
    """The confirmed submissions whose project still waits at « referred », in the
    dispositifs the user runs, newest first (the animateur's to-do). Pending ones are
    never read here: nobody sees a submission before its confirmation."""
    return (
        SelfReferral.objects.for_user(user, Action.MANAGE)
        .filter(status=SelfReferralStatus.CONFIRMED, project__stage=Stage.REFERRED)
        .select_related("project", "company", "dispositif")
        .order_by("-confirmed_at", "-pk")
    )


def project_self_referral(user, project) -> SelfReferral | None:
    """The confirmed submission a project came from, for those who run its dispositif."""
    return (
        SelfReferral.objects.for_user(user, Action.MANAGE)
        .filter(status=SelfReferralStatus.CONFIRMED, project=project)
        .first()
    )
